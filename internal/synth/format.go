package synth

// Helpers that rewrite a libphonenumber-formatted number into the other
// ways people write it. Each appends to dst and allocates only to grow it.

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// appendReplaced appends src with every old byte replaced by new.
func appendReplaced(dst, src []byte, old, new byte) []byte {
	for _, c := range src {
		if c == old {
			c = new
		}
		dst = append(dst, c)
	}
	return dst
}

// appendDigitsOnly appends the ASCII digits of src: "020 7183 8750" ->
// "02071838750".
func appendDigitsOnly(dst, src []byte) []byte {
	for _, c := range src {
		if isDigit(c) {
			dst = append(dst, c)
		}
	}
	return dst
}

// appendJoinGroups appends the digit groups of src joined by sep:
// "(650) 555-1234" -> "650.555.1234".
func appendJoinGroups(dst, src []byte, sep byte) []byte {
	in := false
	first := true
	for _, c := range src {
		if !isDigit(c) {
			in = false
			continue
		}
		if !in && !first {
			dst = append(dst, sep)
		}
		in, first = true, false
		dst = append(dst, c)
	}
	return dst
}

// appendSlashed appends the first digit group of src, a slash and the rest
// of the digits: "030 123456" -> "030/123456", "020 7183 8750" ->
// "020/71838750".
func appendSlashed(dst, src []byte) []byte {
	state := 0 // 0 before the first group, 1 in it, 2 after it
	for _, c := range src {
		switch {
		case isDigit(c) && state == 2:
			dst = append(dst, c)
		case isDigit(c):
			state = 1
			dst = append(dst, c)
		case state == 1:
			state = 2
			dst = append(dst, '/')
		}
	}
	return dst
}

// appendZeroParen appends the international format intl ("+44 20 7183
// 8750") with the national prefix in parentheses after the country code:
// "+44 (0)20 7183 8750". If intl does not start with "+"+cc+" " it is
// appended unchanged.
func appendZeroParen(dst, intl []byte, cc string) []byte {
	n := 1 + len(cc) + 1
	if len(intl) <= n || intl[0] != '+' || string(intl[1:n-1]) != cc || intl[n-1] != ' ' {
		return append(dst, intl...)
	}
	dst = append(dst, intl[:n]...)
	dst = append(dst, "(0)"...)
	return append(dst, intl[n:]...)
}

// String forms, used when building templates.

func dashed(s string) string     { return string(appendReplaced(nil, []byte(s), ' ', '-')) }
func keepDigits(s string) string { return string(appendDigitsOnly(nil, []byte(s))) }
func slashed(s string) string    { return string(appendSlashed(nil, []byte(s))) }
func joinGroups(s string, sep byte) string {
	return string(appendJoinGroups(nil, []byte(s), sep))
}
func zeroParen(intl, cc string) string {
	return string(appendZeroParen(nil, []byte(intl), cc))
}

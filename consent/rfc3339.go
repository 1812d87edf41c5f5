package consent

import "time"

// parseRFC3339 reads s as RFC 3339's date-time, exactly its grammar
// (section 5.6) and ranges, which time.Parse's RFC 3339 layouts do not
// keep to: it refuses the lower-case "t" and "z" the RFC allows and the
// leap second ":60", and it accepts a ",5" fraction and a "+24:00" offset,
// which the RFC does not.
//
//	YYYY-MM-DD ("T" / "t") hh:mm:ss ["." 1*DIGIT] ("Z" / "z" / ("+" / "-") hh:mm)
//
// Months, days (leap years included), hours 00-23, minutes 00-59 and the
// offset's hours 00-23 and minutes 00-59 are checked. Digits of a fraction
// past the ninth (nanoseconds) are dropped. The seconds may be 60 only for
// a leap second, at 23:59 UTC once the offset is applied; a leap second
// reads as the last nanosecond before the next day, so that it orders
// after every time of the second before it and before the next day.
func parseRFC3339(s string) (t time.Time, ok bool) {
	p := rfcParser{s: s, ok: true}
	year := p.num(4)
	p.lit('-')
	month := p.num(2)
	p.lit('-')
	day := p.num(2)
	p.lit('T', 't')
	hour := p.num(2)
	p.lit(':')
	minute := p.num(2)
	p.lit(':')
	sec := p.num(2)
	nsec := 0
	if p.ok && p.i < len(s) && s[p.i] == '.' {
		p.i++
		digits := 0
		for p.i < len(s) && '0' <= s[p.i] && s[p.i] <= '9' {
			if digits < 9 {
				nsec = nsec*10 + int(s[p.i]-'0')
				digits++
			}
			p.i++
		}
		if digits == 0 {
			return time.Time{}, false
		}
		for ; digits < 9; digits++ {
			nsec *= 10
		}
	}
	offset := 0
	switch {
	case !p.ok || p.i >= len(s):
		return time.Time{}, false
	case s[p.i] == 'Z' || s[p.i] == 'z':
		p.i++
	case s[p.i] == '+' || s[p.i] == '-':
		sign := 1
		if s[p.i] == '-' {
			sign = -1
		}
		p.i++
		oh := p.num(2)
		p.lit(':')
		om := p.num(2)
		if oh > 23 || om > 59 {
			return time.Time{}, false
		}
		offset = sign * (oh*3600 + om*60)
	default:
		return time.Time{}, false
	}
	switch {
	case !p.ok || p.i != len(s),
		month < 1 || month > 12,
		day < 1 || day > daysIn(month, year),
		hour > 23, minute > 59, sec > 60:
		return time.Time{}, false
	}
	leap := sec == 60
	if leap {
		sec = 59
	}
	t = time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.FixedZone("", offset))
	if leap {
		u := t.UTC()
		if u.Hour() != 23 || u.Minute() != 59 {
			return time.Time{}, false
		}
		t = t.Add(time.Second - time.Duration(nsec) - 1)
	}
	return t, true
}

// rfcParser reads fixed-width fields of a date-time; the first mismatch
// clears ok, and later reads then give 0.
type rfcParser struct {
	s  string
	i  int
	ok bool
}

// num reads n decimal digits.
func (p *rfcParser) num(n int) int {
	if !p.ok || p.i+n > len(p.s) {
		p.ok = false
		return 0
	}
	v := 0
	for _, c := range []byte(p.s[p.i : p.i+n]) {
		if c < '0' || c > '9' {
			p.ok = false
			return 0
		}
		v = v*10 + int(c-'0')
	}
	p.i += n
	return v
}

// lit reads one of the bytes cs.
func (p *rfcParser) lit(cs ...byte) {
	if !p.ok || p.i >= len(p.s) {
		p.ok = false
		return
	}
	for _, c := range cs {
		if p.s[p.i] == c {
			p.i++
			return
		}
	}
	p.ok = false
}

// daysIn returns the number of days of month m of year y.
func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

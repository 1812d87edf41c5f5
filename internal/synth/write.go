package synth

// The CSV files, as WriteUsers, WriteOptOuts and WriteList write them:
// RFC 4180 with "\n" line ends, UTF-8 (ASCII with Config.Clean; without
// it, a few junk rows of the list hold a byte of invalid UTF-8 on purpose),
// a header line, then one line per row; a field is quoted (quotes doubled)
// only if it contains a comma, a double quote or a line break, or starts
// with a space or a tab (some messy list rows do). Sizes measured for
// Seed 1, DefaultRegions, 1M rows each, OptOutRate 0.05, BadRate 0.01:
//
//	users.csv    header user_id,phone,country   u209200724,+4930363390,DE
//	             27.4 bytes/row (27.4 MB)       u821780235,019 87 46 53,BE
//	optouts.csv  header user_id                 u805384196
//	             11 bytes/row (0.55 MB)
//	list.csv     header phone,country           +57 317 4897769,CO
//	             18.0 bytes/row (18.0 MB; a "too long" junk row is ~300)
//	events.csv   header user_id,purpose,choice,time,source
//	             u209200724,ads,opt-in,2024-01-01T00:00:03Z,web
//	             45 bytes/row (10M events: 450 MB)
//
// There is no version field or checksum: these are plain CSV inputs for the
// engine and other tools, regenerated from their Config rather than kept.

import (
	"bufio"
	"fmt"
	"io"
	"time"
)

const writeBufSize = 64 << 10

// WriteUsers writes Users(cfg) to w as CSV with header "user_id,phone,country".
// It returns an error wrapping ErrConfig if cfg is invalid (writing
// nothing), or the first write error. It buffers internally and does not
// close w.
func WriteUsers(w io.Writer, cfg Config) error {
	g, err := resolve(cfg)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, writeBufSize)
	bw.WriteString("user_id,phone,country\n")
	var ur userRow
	var line []byte
	for i := range cfg.Users {
		g.user(i, &ur)
		line = append(line[:0], ur.id[:]...)
		line = append(line, ',')
		line = appendField(line, ur.phone)
		line = append(line, ',')
		line = append(line, ur.country...)
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return fmt.Errorf("synth: writing users: %w", err)
		}
	}
	return flush(bw, "users")
}

// WriteOptOuts writes OptOuts(cfg) to w as CSV with header "user_id". Errors
// are as for WriteUsers.
func WriteOptOuts(w io.Writer, cfg Config) error {
	g, err := resolve(cfg)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, writeBufSize)
	bw.WriteString("user_id\n")
	var line [11]byte
	line[10] = '\n'
	for i := range cfg.Users {
		if !g.optedOut(i) {
			continue
		}
		g.userID(i, (*[10]byte)(line[:10]))
		if _, err := bw.Write(line[:]); err != nil {
			return fmt.Errorf("synth: writing opt-outs: %w", err)
		}
	}
	return flush(bw, "opt-outs")
}

// WriteList writes List(cfg) to w as CSV with header "phone,country".
// Errors are as for WriteUsers.
func WriteList(w io.Writer, cfg Config) error {
	g, err := resolve(cfg)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, writeBufSize)
	bw.WriteString("phone,country\n")
	var lr listRow
	var line []byte
	for j := range cfg.ListRows {
		g.listRow(j, &lr)
		line = appendField(line[:0], lr.phone)
		line = append(line, ',')
		line = append(line, lr.country...)
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return fmt.Errorf("synth: writing list: %w", err)
		}
	}
	return flush(bw, "list")
}

// WriteEvents writes Events(cfg) to w as CSV with header
// "user_id,purpose,choice,time,source", times in RFC 3339 UTC. Errors are as
// for WriteUsers.
func WriteEvents(w io.Writer, cfg Config) error {
	g, err := resolve(cfg)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, writeBufSize)
	bw.WriteString("user_id,purpose,choice,time,source\n")
	var er eventRow
	var line []byte
	for j := range cfg.Events {
		g.event(j, &er)
		line = append(line[:0], er.id[:]...)
		line = append(line, ',')
		line = append(line, er.purpose...)
		line = append(line, ',')
		line = append(line, er.choice...)
		line = append(line, ',')
		line = er.time.AppendFormat(line, time.RFC3339)
		line = append(line, ',')
		line = append(line, er.source...)
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return fmt.Errorf("synth: writing events: %w", err)
		}
	}
	return flush(bw, "events")
}

func flush(bw *bufio.Writer, what string) error {
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("synth: writing %s: %w", what, err)
	}
	return nil
}

// appendField appends f as one CSV field, quoted (with quotes doubled) if
// it contains a comma, a double quote, a line break or leading space, as
// encoding/csv does.
func appendField(dst, f []byte) []byte {
	quote := len(f) > 0 && (f[0] == ' ' || f[0] == '\t')
	for _, c := range f {
		if c == ',' || c == '"' || c == '\n' || c == '\r' {
			quote = true
			break
		}
	}
	if !quote {
		return append(dst, f...)
	}
	dst = append(dst, '"')
	for _, c := range f {
		if c == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, c)
	}
	return append(dst, '"')
}

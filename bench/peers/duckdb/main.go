// Command duckpeer is the DuckDB peer of the engine's benchmarks: the same
// match as SQL over the same files, to compare match run with what a
// platform engineer would otherwise write. It lives in its own module, so
// that the engine never depends on DuckDB (cgo); `make bench-peers` runs it.
//
//	duckpeer build --users USERS.csv --db USERS.duckdb
//	duckpeer join --db USERS.duckdb --list HASHED.csv --optouts OPTOUTS.csv --out AUDIENCE.csv
//	duckpeer compare --match bin/match --dir DIR [--runs N]
//
// build normalizes and hashes the user base once, with the engine's own
// normalize package (so both sides agree on every digest), into a table
// users(user_id, digest) of lowercase hex E.164 digests: the platform's
// table, built ahead of time, not timed. join is the timed query: the
// list's hash column and the opt-outs read from CSV, JOIN, ANTI JOIN,
// DISTINCT, written to CSV. compare runs match run and join in
// interleaved pairs, checks that their audiences hold the same users, and
// prints the medians and the ratio.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/audiencematch/audiencematch/normalize"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: duckpeer build|join|compare [flags]")
		os.Exit(2)
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "build":
		err = build(args)
	case "join":
		err = join(args)
	case "compare":
		err = compare(args)
	default:
		err = fmt.Errorf("unknown command %q", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "duckpeer:", err)
		os.Exit(1)
	}
}

// build writes the users' digests into a new DuckDB file.
func build(args []string) error {
	fs := flag.NewFlagSet("build", flag.ExitOnError)
	users := fs.String("users", "", "the user base CSV (user_id, phone and optionally country, by name)")
	dbPath := fs.String("db", "", "the DuckDB file to make")
	fs.Parse(args)
	os.Remove(*dbPath)
	c, err := duckdb.NewConnector(*dbPath, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	db := sql.OpenDB(c)
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE users (user_id VARCHAR, digest VARCHAR)"); err != nil {
		return err
	}
	conn, err := c.Connect(context.Background())
	if err != nil {
		return err
	}
	defer conn.Close()
	app, err := duckdb.NewAppenderFromConn(conn, "", "users")
	if err != nil {
		return err
	}
	f, err := os.Open(*users)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return err
	}
	col := map[string]int{"country": -1}
	for i, name := range header {
		col[strings.ToLower(strings.TrimSpace(name))] = i
	}
	id, phone, country := col["user_id"], col["phone"], col["country"]
	if _, ok := col["user_id"]; !ok {
		return fmt.Errorf("%s: no user_id column", *users)
	}
	if _, ok := col["phone"]; !ok {
		return fmt.Errorf("%s: no phone column (the peer matches phones only)", *users)
	}
	var e164 []byte
	n := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		region := normalize.DefaultRegion
		if country >= 0 && rec[country] != "" {
			region = rec[country]
		}
		if e164, err = normalize.AppendE164(e164[:0], rec[phone], region); err != nil {
			continue // refused, as match refuses it
		}
		d := normalize.Sum(e164, normalize.E164Hex)
		if err := app.AppendRow(driver.Value(rec[id]), driver.Value(normalize.Encode(d, normalize.E164Hex))); err != nil {
			return err
		}
		n++
	}
	if err := app.Close(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "duckpeer: %s: %d users\n", *dbPath, n)
	return nil
}

// joinSQL is the timed query: the audience of the hashed list, opted-out
// users excluded, each user once.
const joinSQL = `COPY (
	SELECT DISTINCT u.user_id
	FROM read_csv(?, header = true, columns = {'hash': 'VARCHAR'}) l
	JOIN users u ON u.digest = l.hash
	ANTI JOIN read_csv(?, header = true, columns = {'user_id': 'VARCHAR'}) o ON o.user_id = u.user_id
) TO '%s' (HEADER, DELIMITER ',')`

func join(args []string) error {
	fs := flag.NewFlagSet("join", flag.ExitOnError)
	dbPath := fs.String("db", "", "the DuckDB file build made")
	list := fs.String("list", "", "the hashed list CSV (hash)")
	optouts := fs.String("optouts", "", "the opt-outs CSV (user_id)")
	out := fs.String("out", "", "the audience CSV to write")
	fs.Parse(args)
	db, err := sql.Open("duckdb", *dbPath+"?access_mode=read_only")
	if err != nil {
		return err
	}
	defer db.Close()
	// COPY ... TO takes no parameter for its file: quote it.
	_, err = db.Exec(fmt.Sprintf(joinSQL, strings.ReplaceAll(*out, "'", "''")), *list, *optouts)
	return err
}

// compare runs the cases in interleaved pairs.
func compare(args []string) error {
	fs := flag.NewFlagSet("compare", flag.ExitOnError)
	match := fs.String("match", "bin/match", "the match binary")
	dir := fs.String("dir", "", "the directory of users.csv, hashed.csv, optouts.csv, base.idx and users.duckdb")
	runs := fs.Int("runs", 5, "pairs per case")
	fs.Parse(args)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	p := func(name string) string { return filepath.Join(*dir, name) }
	own := []string{"--min-audience", "0", "--epsilon", "0", "--list", p("hashed.csv"), "--optouts", p("optouts.csv"), "--out", p("audience-match.csv")}
	duck := []string{self, "join", "--db", p("users.duckdb"), "--list", p("hashed.csv"), "--optouts", p("optouts.csv"), "--out", p("audience-duckdb.csv")}
	cases := []struct {
		name  string
		match []string
	}{
		{"match run --index", append([]string{*match, "run", "--index", p("base.idx")}, own...)},
		{"match run --users", append([]string{*match, "run", "--users", p("users.csv")}, own...)},
	}
	fmt.Printf("%d pairs a case, interleaved; wall and CPU (user+system) medians\n\n", *runs)
	fmt.Println("| case | match wall | match CPU | DuckDB wall | DuckDB CPU | DuckDB / match, wall | CPU |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, c := range cases {
		var mw, mc, dw, dc []time.Duration
		for i := range *runs {
			first, second := c.match, duck
			if i%2 == 1 {
				first, second = duck, c.match
			}
			for _, argv := range [][]string{first, second} {
				wall, cpu, err := timed(argv)
				if err != nil {
					return err
				}
				if argv[0] == self {
					dw, dc = append(dw, wall), append(dc, cpu)
				} else {
					mw, mc = append(mw, wall), append(mc, cpu)
				}
			}
			if i == 0 {
				if err := sameUsers(p("audience-match.csv"), p("audience-duckdb.csv")); err != nil {
					return fmt.Errorf("%s: %w", c.name, err)
				}
			}
		}
		m, d := median(mw), median(dw)
		fmt.Printf("| %s | %.2f s | %.2f s | %.2f s | %.2f s | **%.2f×** | %.2f× |\n", c.name,
			m.Seconds(), median(mc).Seconds(), d.Seconds(), median(dc).Seconds(), d.Seconds()/m.Seconds(), median(dc).Seconds()/median(mc).Seconds())
	}
	return nil
}

// timed runs argv and returns its wall and CPU time.
func timed(argv []string) (wall, cpu time.Duration, err error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, fmt.Errorf("%s: %v: %s", strings.Join(argv, " "), err, stderr.String())
	}
	wall = time.Since(start)
	return wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// sameUsers checks that two audiences hold the same users (match run
// writes them in list order, DuckDB in any order).
func sameUsers(a, b string) error {
	read := func(name string) ([]string, error) {
		bs, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		lines := strings.Split(strings.TrimSpace(string(bs)), "\n")[1:]
		slices.Sort(lines)
		return lines, nil
	}
	x, err := read(a)
	if err != nil {
		return err
	}
	y, err := read(b)
	if err != nil {
		return err
	}
	if !slices.Equal(x, y) {
		return errors.New("the audiences differ: " + fmt.Sprintf("%d users against %d", len(x), len(y)))
	}
	fmt.Fprintf(os.Stderr, "duckpeer: same audience, %d users\n", len(x))
	return nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

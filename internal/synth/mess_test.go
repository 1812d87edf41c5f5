package synth

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestList_Mess checks that the mess keeps every valid row's answer (row j
// with and without Config.Clean normalizes alike), that junk stays junk,
// and that each form turns up, in the regions that write it.
func TestList_Mess(t *testing.T) {
	cfg := Config{Seed: 5, Users: 3000, ListRows: 20000, MatchRate: 0.5, BadRate: 0.05,
		Regions: append(DefaultRegions(), "JP", "CN", "KR", "EG", "SA", "AE", "PK", "IR", "TW")}
	clean := cfg
	clean.Clean = true
	messy, err := resolve(cfg)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := resolve(clean)
	var m, c listRow
	forms := map[string]int{}
	count := func(raw string) {
		for name, s := range map[string]string{
			"no-break space": "\u00a0", "full-width": "０", "Arabic-Indic": "٠١٢٣٤٥٦٧٨٩",
			"Persian": "۰۱۲۳۴۵۶۷۸۹", "dash": "\u2010\u2011\u2013\u2014\u2212\u30fc\uff0d",
			"zero-width": "\u200b\u00ad", "byte order mark": "\ufeff", "extension": "#,",
			"refused": "\u202f\u2009\"!?",
		} {
			if strings.ContainsAny(raw, s) || name == "full-width" && strings.ContainsAny(raw, "０１２３４５６７８９") {
				forms[name]++
			}
		}
		if !utf8.ValidString(raw) {
			forms["invalid UTF-8"]++
		}
	}
	changed := 0
	for j := range cfg.ListRows {
		messy.listRow(j, &m)
		plain.listRow(j, &c)
		raw, country := string(m.phone), m.country
		count(raw)
		got, ok := e164(raw, country)
		if m.kind == rowJunk {
			if ok {
				t.Errorf("row %d: junk %q (%q) normalizes to %s", j, raw, country, got)
			}
			continue
		}
		if raw != string(c.phone) {
			changed++
		}
		want, wantOK := e164(string(c.phone), c.country)
		if got != want || ok != wantOK || country != c.country {
			t.Errorf("row %d: %q (%q) normalizes to %q, %v; clean %q (%q) to %q, %v", j, raw, country, got, ok, c.phone, c.country, want, wantOK)
		}
	}
	t.Logf("%d of %d rows changed by the mess; forms: %v", changed, cfg.ListRows, forms)
	for _, name := range []string{"no-break space", "full-width", "Arabic-Indic", "Persian", "dash", "zero-width", "byte order mark", "extension", "refused", "invalid UTF-8"} {
		if forms[name] == 0 {
			t.Errorf("no %s rows in %d", name, cfg.ListRows)
		}
	}
	if share := float64(changed) / float64(cfg.ListRows); share < 0.08 || share > 0.3 {
		t.Errorf("%.3f of rows changed by the mess, want 0.08..0.3", share)
	}
}

// TestList_Clean checks that Clean writes ASCII only.
func TestList_Clean(t *testing.T) {
	cfg := Config{Seed: 5, Users: 1000, ListRows: 5000, MatchRate: 0.5, BadRate: 0.05, Clean: true,
		Regions: []string{"JP", "EG", "IR", "US"}}
	for r := range List(cfg) {
		for i := 0; i < len(r.Phone); i++ {
			if r.Phone[i] >= utf8.RuneSelf || r.Phone[i] == '\t' {
				t.Fatalf("clean row %q holds %q", r.Phone, r.Phone[i])
			}
		}
	}
}

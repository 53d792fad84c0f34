package engine_test

import (
	"bytes"
	"context"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/engine/wire"
	"mvapi/internal/mvtest"
)

var updateCases = flag.Bool("update", false, "rewrite the expected answers of testdata/cases/*.txtar")

// TestCases runs the behaviour-from-data cases of testdata/cases: each
// txtar file holds the rows a DBA would write, one request and the answer
// expected in each format, served through engine.Serve with no socket, on
// every database the suite runs on. The sections:
//
//	users      one user a line: username password type credit
//	setup.sql  statements run before the engine starts (tb_api rows, data);
//	           one per line, no placeholders
//	sets       global config overrides, name=value a line (as --set)
//	request    "ip ADDR" (optional, default 203.0.113.7), then the query
//	           string; {KEY} stands for the api key
//	text, json, xml, ...  the answer expected in that format
//	text.postgres, ...    the answer of one database where it differs
//
// go test ./engine -run TestCases -update rewrites the answers.
func TestCases(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "cases", "*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no cases in testdata/cases (%v)", err)
	}
	mvtest.ForEachDB(t, func(t *testing.T, dsn string) {
		for _, file := range files {
			t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
				runCase(t, file, mvtest.FreshDSN(t, kindOf(dsn)))
			})
		}
	})
}

// kindOf names the database kind of a DSN made by mvtest.FreshDSN.
func kindOf(dsn string) string {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		return "sqlite"
	case strings.HasPrefix(dsn, "postgres"):
		return "postgres"
	}
	return "sqlserver"
}

func runCase(t *testing.T, file, dsn string) {
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]string{}
	for _, f := range ar.Files {
		sections[f.Name] = string(f.Data)
	}
	db := mvtest.MustOpen(t, dsn)
	for _, line := range lines(sections["users"]) {
		f := strings.Fields(line)
		if len(f) != 4 {
			t.Fatalf("users: %q: want username password type credit", line)
		}
		typ, err1 := strconv.Atoi(f[2])
		credit, err2 := strconv.ParseFloat(f[3], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("users: %q: type and credit must be numbers", line)
		}
		mvtest.MustUser(t, db, engine.NewUser{Username: f[0], Password: f[1], Type: typ, Credit: credit})
	}
	for _, stmt := range lines(sections["setup.sql"]) {
		mvtest.MustExec(t, db, stmt)
	}
	sets := map[string]string{}
	for _, line := range lines(sections["sets"]) {
		name, value, _ := strings.Cut(line, "=")
		sets[strings.TrimSpace(name)] = strings.TrimSpace(value)
	}
	e := mvtest.MustEngine(t, db, sets)
	ip, query := caseRequest(t, sections["request"], mvtest.APIKey(t, db))

	kind, changed := kindOf(dsn), false
	for i := range ar.Files {
		f := &ar.Files[i]
		if !format.Valid(f.Name) {
			continue
		}
		got, want := answer(t, e, ip, query, f.Name), f.Data
		if own, ok := sections[f.Name+"."+kind]; ok {
			want = []byte(own) // this database answers differently, on purpose
		} else if *updateCases && kind == "sqlite" {
			if got != string(f.Data) {
				f.Data, changed = []byte(got), true
			}
			continue
		}
		if got != string(want) {
			t.Errorf("%s answer:\n%s\nwant:\n%s", f.Name, got, want)
		}
	}
	if changed {
		if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// caseRequest reads the request section: an optional "ip ADDR" line, then
// the query string.
func caseRequest(t *testing.T, s, key string) (netip.Addr, string) {
	ip := netip.MustParseAddr("203.0.113.7")
	var query string
	for _, line := range lines(s) {
		if rest, ok := strings.CutPrefix(line, "ip "); ok {
			ip = netip.MustParseAddr(strings.TrimSpace(rest))
			continue
		}
		query = strings.ReplaceAll(line, "{KEY}", key)
	}
	if query == "" {
		t.Fatal("request: no query string")
	}
	return ip, query
}

// answer serves the query asking for the named format and renders the
// result in it, as the HTTP transport would.
func answer(t *testing.T, e *engine.Engine, ip netip.Addr, query, name string) string {
	params, err := wire.ParseQuery(query+"&format="+name, "")
	if err != nil {
		t.Fatalf("request %q: %v", query, err)
	}
	req := engine.NewRequest(params, ip, "internal")
	res := e.Serve(context.Background(), req)
	out, _, err := format.AppendEncode(nil, name, res, req.Callback)
	if err != nil {
		t.Fatalf("encode %s: %v", name, err)
	}
	// Line ends are the format package's business (text answers end lines
	// with CRLF, pinned there); the cases compare content.
	out = bytes.ReplaceAll(out, []byte("\r\n"), []byte("\n"))
	if !bytes.HasSuffix(out, []byte("\n")) {
		out = append(out, '\n')
	}
	return string(out)
}

// lines returns the non-empty lines of s that are not comments (#).
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mvapi/internal/mvtest"
)

func runCLIStdin(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootCommand(&out, &errOut)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String() + errOut.String(), err
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

// TestDSNFromEnv: without --db the DSN comes from MVAPI_DB, --db wins over
// it, and the help never shows it.
func TestDSNFromEnv(t *testing.T) {
	dir := t.TempDir()
	envDB, flagDB := filepath.Join(dir, "env.db"), filepath.Join(dir, "flag.db")
	t.Setenv(EnvDB, "sqlite:"+envDB)
	if out, err := runCLI(t, "migrate"); err != nil || !exists(envDB) {
		t.Fatalf("migrate with %s: %v %q; %s exists: %v", EnvDB, err, out, envDB, exists(envDB))
	}
	if out, err := runCLI(t, "migrate", "--db", "sqlite:"+flagDB); err != nil || !exists(flagDB) {
		t.Fatalf("migrate --db: %v %q", err, out)
	}
	t.Setenv(EnvDB, "postgres://mvapi:s3cretpw@db.example.com/mvapi")
	for _, cmd := range []string{"serve", "check", "migrate", "examples"} {
		out, err := runCLI(t, cmd, "--help")
		if err != nil || strings.Contains(out, "s3cretpw") || !strings.Contains(out, "--db-file") {
			t.Fatalf("%s --help: %v\n%s", cmd, err, out)
		}
	}
}

// TestDSNFromFile: --db-file reads the DSN from a file (comments and blank
// lines skipped); a missing or empty file and --db with --db-file fail.
func TestDSNFromFile(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "file.db")
	file := filepath.Join(dir, "dsn")
	if err := os.WriteFile(file, []byte("# the database of mvapi\n\nsqlite:"+db+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvDB, "sqlite:"+filepath.Join(dir, "env.db")) // --db-file wins over the environment
	if out, err := runCLI(t, "migrate", "--db-file", file); err != nil || !exists(db) {
		t.Fatalf("migrate --db-file: %v %q", err, out)
	}
	if exists(filepath.Join(dir, "env.db")) {
		t.Fatal("the environment's DSN was used despite --db-file")
	}
	out, err := runCLIStdin(t, "", "user", "add", "--db-file", file, "--username", "filey", "--password", "filepass1")
	if err != nil || !strings.Contains(out, "user filey added") {
		t.Fatalf("user add --db-file: %v %q", err, out)
	}
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("# nothing\n"), 0o600)
	for _, args := range [][]string{
		{"migrate", "--db-file", filepath.Join(dir, "missing")},
		{"migrate", "--db-file", empty},
		{"migrate", "--db-file", file, "--db", "sqlite:" + db},
	} {
		if out, err := runCLI(t, args...); err == nil {
			t.Errorf("%v succeeded: %q", args, out)
		} else {
			t.Logf("%v: %v", args, err)
		}
	}
}

// TestUserAddPasswordStdin: the password can come from standard input
// (the final line break dropped); exactly one of --password and
// --password-stdin is required.
func TestUserAddPasswordStdin(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "pw.db")
	out, err := runCLIStdin(t, "stdinpass9\n", "user", "add", "--db", dsn, "--username", "stdy", "--password-stdin", "--type", "admin")
	if err != nil || !strings.Contains(out, "user stdy added") {
		t.Fatalf("user add --password-stdin: %v %q", err, out)
	}
	db := mvtest.MustOpen(t, dsn)
	var pw string
	if err := db.Get(&pw, "SELECT password FROM tb_users WHERE username = 'stdy'"); err != nil || pw != "stdinpass9" {
		t.Fatalf("stored password %q, %v", pw, err)
	}
	for _, c := range []struct {
		stdin string
		args  []string
	}{
		{"", []string{"--username", "a1"}},                                                     // no password at all
		{"", []string{"--username", "a2", "--password-stdin"}},                                 // empty stdin
		{"x12345\n", []string{"--username", "a3", "--password-stdin", "--password", "y12345"}}, // both
	} {
		out, err := runCLIStdin(t, c.stdin, append([]string{"user", "add", "--db", dsn}, c.args...)...)
		if err == nil {
			t.Errorf("%v succeeded: %q", c.args, out)
		} else {
			t.Logf("%v: %v", c.args, err)
		}
	}
}

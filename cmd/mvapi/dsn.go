package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"mvapi/schema"
)

// EnvDB names the environment variable that gives the DSN when --db is not
// on the command line: a password in it is not visible in ps.
const EnvDB = "MVAPI_DB"

// dsnFlags adds --db (default $MVAPI_DB, else sqlite:mvapi.db) and
// --db-file PATH (the DSN is the file's content) to c; they exclude each
// other. Both fill *dsn while the flags are parsed, so the command reads
// *dsn as before.
func dsnFlags(c *cobra.Command, dsn *string) {
	def := schema.DefaultDSN
	if v := strings.TrimSpace(os.Getenv(EnvDB)); v != "" {
		def = v
	}
	c.Flags().StringVar(dsn, "db", def, "database: sqlite:PATH, postgres://... or sqlserver://... (default $"+EnvDB+" when set; prefer $"+EnvDB+" or --db-file to keep a password out of ps)")
	// The help shows the built-in default, never a DSN (and its password) from the environment.
	c.Flags().Lookup("db").DefValue = schema.DefaultDSN
	c.Flags().Var(&dsnFile{dsn: dsn}, "db-file", "read the database DSN from this file (one line; e.g. a systemd credential or a Docker secret)")
	c.MarkFlagsMutuallyExclusive("db", "db-file")
}

// dsnFile is the --db-file flag: setting it reads the DSN from the file.
type dsnFile struct {
	dsn  *string
	path string
}

func (f *dsnFile) String() string { return f.path }
func (f *dsnFile) Type() string   { return "PATH" }

func (f *dsnFile) Set(path string) error {
	dsn, err := readDSNFile(path)
	if err != nil {
		return err
	}
	f.path, *f.dsn = path, dsn
	return nil
}

// readDSNFile returns the first non-empty, non-comment (#) line of path.
func readDSNFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			return line, nil
		}
	}
	return "", fmt.Errorf("%s holds no DSN", path)
}

// passwordStdin is the --password-stdin flag of user add: setting it reads
// the password from the command's standard input (everything up to EOF,
// without the final line break), so it is not visible in ps or the shell
// history: printf %s "$PW" | mvapi user add --username U --password-stdin.
type passwordStdin struct {
	cmd      *cobra.Command
	password *string
	set      bool
}

func (p *passwordStdin) String() string { return fmt.Sprint(p.set) }
func (p *passwordStdin) Type() string   { return "bool" }

func (p *passwordStdin) Set(v string) error {
	if v != "true" {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(p.cmd.InOrStdin(), 4096))
	if err != nil {
		return fmt.Errorf("read the password from stdin: %w", err)
	}
	pw := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if pw == "" {
		return errors.New("no password on stdin")
	}
	p.set, *p.password = true, pw
	return nil
}

// passwordFlags adds --password and --password-stdin to the user add
// command c; exactly one of them is required.
func passwordFlags(c *cobra.Command, password *string) {
	c.Flags().StringVar(password, "password", "", "password (6 to 64 characters); visible in ps: prefer --password-stdin")
	f := c.Flags().VarPF(&passwordStdin{cmd: c, password: password}, "password-stdin", "", "read the password from standard input")
	f.NoOptDefVal = "true"
	c.MarkFlagsOneRequired("password", "password-stdin")
	c.MarkFlagsMutuallyExclusive("password", "password-stdin")
}

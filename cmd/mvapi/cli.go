package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"mvapi/engine"
	"mvapi/internal/server"
	"mvapi/schema"
)

// newRootCommand builds the CLI. cobra gives subcommands, per-command flags
// and generated help with little code; it is the most used Go CLI library.
func newRootCommand(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "mvapi",
		Short:         "mvapi serves the Mizu VoIP server API from a SQL database",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(serveCommand(stdout), userCommand(stdout), checkCommand(stdout),
		examplesCommand(stdout), migrateCommand(stdout))
	return root
}

func dbFlag(c *cobra.Command, dsn *string) {
	dsnFlags(c, dsn) // --db, $MVAPI_DB, --db-file (dsn.go)
}

func parseSets(sets []string) (map[string]string, error) {
	out := map[string]string{}
	for _, s := range sets {
		name, value, ok := strings.Cut(s, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--set %q: want name=value", s)
		}
		if _, known := engine.LookupOption(name); !known {
			return nil, fmt.Errorf("--set %q: unknown option %q (see README, Configuration)", s, name)
		}
		out[strings.ToLower(name)] = value
	}
	return out, nil
}

func serveCommand(stdout io.Writer) *cobra.Command {
	m := &Main{Out: stdout}
	var sets []string
	c := &cobra.Command{
		Use:   "serve",
		Short: "Serve the API (an empty database is migrated and gets default rows)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The signal handler comes before anything that takes time
			// (opening and migrating the database, the examples): a
			// SIGINT or SIGTERM at any moment from here on stops the
			// server cleanly with status 0.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			var err error
			if m.Sets, err = parseSets(sets); err != nil {
				return err
			}
			m.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
			if err := m.Open(ctx); err != nil {
				m.Close()
				if ctx.Err() != nil {
					return nil // stopped by a signal while opening
				}
				return err
			}
			if err := m.Start(); err != nil {
				m.Close()
				return err
			}
			if m.Demo {
				if err := printExamples(ctx, stdout, m.DB, m.Engine.Config(), m.URL()); err != nil && ctx.Err() == nil {
					m.Log.Warn("examples", "err", err)
				}
				printWebURLs(stdout, m.Engine.Config(), m.URL())
			}
			return m.runUntilSignal(ctx)
		},
	}
	dbFlag(c, &m.DSN)
	c.Flags().StringVar(&m.TLSListen, "tls", "", "HTTPS address, e.g. :8443 (default \":\" + sslportmain; needs tlscertfile and tlskeyfile)")
	c.Flags().StringVar(&m.ConsoleListen, "console", "", "admin console address, e.g. 127.0.0.1:8081 (default \":\" + adminport; off when adminport is 0)")
	c.Flags().StringVar(&m.Listen, "listen", "", "address to listen on, e.g. :8080 or 127.0.0.1:8080 (default \":\" + mainaport)")
	c.Flags().StringArrayVar(&sets, "set", nil, "global config override name=value (repeatable); wins over tb_globalconfig and MVAPI_<NAME>")
	c.Flags().BoolVar(&m.Demo, "demo", false, "add demo users, rates and CDRs to an empty database and print example requests")
	return c
}

func userCommand(stdout io.Writer) *cobra.Command {
	user := &cobra.Command{Use: "user", Short: "Manage users"}
	var dsn, typ string
	var n engine.NewUser
	add := &cobra.Command{
		Use:   "add",
		Short: "Add a user",
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, ok := engine.UserTypes[strings.ToLower(typ)]
			if !ok {
				return fmt.Errorf("--type %q: use enduser, reseller, owner, support, admin or srvadmin", typ)
			}
			n.Type = t
			db, err := openMigrated(cmd.Context(), dsn)
			if err != nil {
				return err
			}
			defer db.Close()
			id, err := engine.CreateUser(cmd.Context(), db, n)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "user %s added with id %d (type %s)\n", n.Username, id, typ)
			return nil
		},
	}
	dbFlag(add, &dsn)
	add.Flags().StringVar(&n.Username, "username", "", "username (required)")
	passwordFlags(add, &n.Password) // --password or --password-stdin (dsn.go)
	add.Flags().StringVar(&typ, "type", "enduser", "enduser, reseller, owner, support, admin or srvadmin")
	add.Flags().Float64Var(&n.Credit, "credit", 0, "starting credit")
	add.Flags().StringVar(&n.Currency, "currency", "USD", "currency code")
	add.Flags().StringVar(&n.PIN, "pin", "", "PIN (optional)")
	add.MarkFlagRequired("username")
	user.AddCommand(add)
	return user
}

func checkCommand(stdout io.Writer) *cobra.Command {
	var dsn string
	c := &cobra.Command{
		Use:   "check",
		Short: "Compile every tb_api row without serving; exit 1 listing each bad row",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			db, err := openMigrated(ctx, dsn)
			if err != nil {
				return err
			}
			defer db.Close()
			t, err := compileOnly(ctx, db)
			var ce *engine.CompileError
			if errors.As(err, &ce) {
				for _, r := range ce.Rows {
					fmt.Fprintln(stdout, r.Error())
				}
				return fmt.Errorf("%d bad row(s)", len(ce.Rows))
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "OK: %d entries compile\n", t.Len())
			return nil
		},
	}
	dbFlag(c, &dsn)
	return c
}

// compileOnly wires a server as serve does, without starting it, for
// check: tb_api and tb_scheduledtasks are compiled, nothing is served.
func compileOnly(ctx context.Context, db *schema.DB) (*engine.Table, error) {
	st, err := server.Build(ctx, server.Deps{
		DB: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: Version,
		// check only compiles: restart rows get a restart hook that is never called.
		Restart: func(string) {},
	})
	if err != nil {
		return nil, err
	}
	defer st.Close(ctx)
	return st.Engine.Table(), nil
}

func examplesCommand(stdout io.Writer) *cobra.Command {
	var dsn, server string
	c := &cobra.Command{
		Use:   "examples",
		Short: "Print working example requests for this server (authmd5 computed)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			db, err := openMigrated(ctx, dsn)
			if err != nil {
				return err
			}
			defer db.Close()
			cfg, err := engine.LoadConfig(ctx, db, nil)
			if err != nil {
				return err
			}
			return printExamples(ctx, stdout, db, cfg, strings.TrimRight(server, "/"))
		},
	}
	dbFlag(c, &dsn)
	c.Flags().StringVar(&server, "server", "http://127.0.0.1:8080", "base URL of the server")
	return c
}

func migrateCommand(stdout io.Writer) *cobra.Command {
	var dsn string
	var status bool
	c := &cobra.Command{
		Use:   "migrate",
		Short: "Apply the embedded migrations (also done by serve) or show their status",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			db, err := schema.Open(ctx, dsn)
			if err != nil {
				return err
			}
			defer db.Close()
			if status {
				lines, err := schema.MigrationStatus(ctx, db)
				for _, l := range lines {
					fmt.Fprintln(stdout, l)
				}
				return err
			}
			n, err := schema.Migrate(ctx, db)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "applied %d migration(s)\n", n)
			return nil
		},
	}
	dbFlag(c, &dsn)
	c.Flags().BoolVar(&status, "status", false, "list migrations and whether each is applied")
	return c
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"mvapi/engine"
	"mvapi/internal/logging"
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
			hup, stopHUP := notifyHUP() // SIGHUP = reload + apireload (ops.go)
			defer stopHUP()
			var err error
			if m.Sets, err = parseSets(sets); err != nil {
				return err
			}
			m.ops.LogSwitch = logging.New(os.Stderr) // logformat, loglevel
			m.Log = slog.New(m.ops.LogSwitch)
			slog.SetDefault(m.Log) // libraries logging with the log package go through slog too
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
			go m.serveHUP(ctx, hup)
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
			auditCLI(cmd.Context(), db, "user add", id, n.Username, "added with type "+typ)
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
	var asJSON, verbose bool
	c := &cobra.Command{
		Use:   "check",
		Short: "Compile every tb_api and tb_scheduledtasks row and prepare its SQL against the database, read-only; exit 1 listing each bad row",
		Long: `check opens the database read-only (it never creates, migrates or seeds it), compiles
every tb_api and tb_scheduledtasks row as serve and apireload do, and prepares each
statement (customsql, {select ...} in action bodies, SQL actions and tasks) against the
database without running it. A missing file, an unmigrated database or any bad row
exits 1; each bad row is listed with its id, fname, field, the database's message,
the position and hint where the database gives them.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rep := runCheck(cmd.Context(), dsn, verbose)
			if asJSON {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				rep.writeText(stdout)
			}
			switch {
			case rep.Error != "":
				return errors.New(rep.Error)
			case len(rep.Bad) > 0:
				return fmt.Errorf("%d bad row(s)", len(rep.Bad))
			}
			return nil
		},
	}
	dbFlag(c, &dsn)
	c.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON (for CI pipelines)")
	c.Flags().BoolVarP(&verbose, "verbose", "v", false, "also show each tb_api row's compiled SQL")
	return c
}

// checkReport is what check prints, as text or JSON.
type checkReport struct {
	OK       bool   `json:"ok"`
	Database string `json:"database"`
	// Error is why nothing could be checked (a missing file, an
	// unmigrated database); "" when the rows were checked.
	Error   string        `json:"error,omitempty"`
	Entries int           `json:"entries"`
	Bad     []checkBadRow `json:"bad"`
	// Rows are the compiled statements of every tb_api row (with -v).
	Rows []checkRow `json:"rows,omitempty"`
}

type checkBadRow struct {
	Table   string `json:"table"`
	ID      int64  `json:"id"`
	Fname   string `json:"fname"`
	Field   string `json:"field"`
	Message string `json:"message"`
	// Position is where the database located the error in the compiled
	// statement (1-based characters), 0 when it did not say.
	Position int    `json:"position,omitempty"`
	Hint     string `json:"hint,omitempty"`
	line     string
}

// checkRow is one tb_api row as compiled. SQL is the statement that runs:
// keywords bound as the dialect's placeholders (and, once customsqldialect
// translates T-SQL, the translated text: show it here).
type checkRow struct {
	ID      int64    `json:"id"`
	Fname   string   `json:"fname"`
	SQL     string   `json:"sql,omitempty"`
	Actions []string `json:"actions,omitempty"`
}

// runCheck opens dsn read-only, makes sure it is migrated and compiles
// and checks every row as a starting server does.
func runCheck(ctx context.Context, dsn string, verbose bool) *checkReport {
	rep := &checkReport{Database: dsn, Bad: []checkBadRow{}}
	db, err := schema.OpenWith(ctx, dsn, schema.OpenOptions{ReadOnly: true})
	if err != nil {
		rep.Error = err.Error()
		return rep
	}
	defer db.Close()
	rep.Database = db.DSN
	if err := schema.CheckMigrated(ctx, db); err != nil {
		rep.Error = err.Error()
		return rep
	}
	st, err := server.Build(ctx, server.Deps{
		DB: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: Version,
		// The report lists every bad row whatever strictstart says.
		Sets: map[string]string{"strictstart": "0"},
		// check only compiles: restart rows get a restart hook that is never called.
		Restart: func(string) {},
	})
	if err != nil {
		rep.Error = err.Error()
		return rep
	}
	defer st.Close(ctx)
	t := st.Engine.Table()
	rep.Entries = t.Len()
	for _, r := range st.Engine.BadRows() {
		table := r.Table
		if table == "" {
			table = "tb_api"
		}
		rep.Bad = append(rep.Bad, checkBadRow{Table: table, ID: r.ID, Fname: r.Fname, Field: r.Field,
			Message: r.Err.Error(), Position: r.Position(), Hint: r.Hint(), line: r.Error()})
	}
	if verbose {
		for _, e := range t.Entries() {
			if e.RowID == 0 || e.Misconfigured {
				continue
			}
			row := checkRow{ID: e.RowID, Fname: e.Name}
			if e.SQL != nil {
				// The statement as it runs. Once customsqldialect
				// translates T-SQL this is the translated text: the
				// place to show the row's source beside it.
				row.SQL = e.SQL.SQL()
			}
			for _, a := range []engine.Action{e.OnSuccess, e.OnFailure} {
				if sa, ok := a.(engine.StatementsAction); ok {
					for _, s := range sa.Statements() {
						row.Actions = append(row.Actions, s.SQL())
					}
				}
			}
			rep.Rows = append(rep.Rows, row)
		}
		sort.Slice(rep.Rows, func(i, j int) bool { return rep.Rows[i].ID < rep.Rows[j].ID })
	}
	rep.OK = len(rep.Bad) == 0
	return rep
}

// writeText prints the report for a person: each bad row on a line of its
// own (the database's hint is part of its message; the position follows),
// or "OK: N entries compile".
func (r *checkReport) writeText(w io.Writer) {
	if r.Error != "" {
		fmt.Fprintf(w, "ERROR: %s\n", r.Error)
		return
	}
	for _, row := range r.Rows {
		fmt.Fprintf(w, "tb_api id=%d fname=%q\n", row.ID, row.Fname)
		if row.SQL != "" {
			fmt.Fprintf(w, "  customsql: %s\n", row.SQL)
		}
		for _, a := range row.Actions {
			fmt.Fprintf(w, "  custom_action: %s\n", a)
		}
	}
	for _, b := range r.Bad {
		fmt.Fprintln(w, b.line)
		if b.Position > 0 {
			fmt.Fprintf(w, "  position: character %d of the compiled statement\n", b.Position)
		}
	}
	if len(r.Bad) > 0 {
		fmt.Fprintf(w, "ERROR: %d bad row(s); %d entries\n", len(r.Bad), r.Entries)
		return
	}
	fmt.Fprintf(w, "OK: %d entries compile\n", r.Entries)
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

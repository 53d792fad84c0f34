// Command ceiling is the upper bound `make bench` compares mvapi's balance
// entry against: a bare net/http server that runs the query a user would
// write by hand, `select credit from tb_users where username = ?` (one
// column, prepared, indexed), on the same database opened with the same
// pragmas and pool (schema.Open), and nothing else. It authenticates
// nothing: no api key, no password or md5 check, no rule table, no
// formats. mvapi's balance does all of that, so the ratio mvapi/ceiling is
// what the whole pipeline costs beyond the one SELECT.
//
//	ceiling -db PATH -listen 127.0.0.1:PORT      (SQLite file)
//	ceiling -dsn DSN -listen 127.0.0.1:PORT      (sqlite:PATH or postgres://...)
//
// GET /mvapireq/?authid=USER answers "Your credit is $<credit>".
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"mvapi/schema"
)

// userQuery is the bare query: one column, as a user would write it.
const userQuery = `select credit from tb_users where username = ?`

// What states, in the output, what the ceiling does and does not do.
const What = "ceiling: net/http + prepared `select credit from tb_users where username = ?` (1 column); authenticates nothing (no api key, no password, no rule table)"

type server struct{ byName *sql.Stmt }

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/mvapireq/" {
		http.NotFound(w, r)
		return
	}
	authID := r.URL.Query().Get("authid")
	var credit float64
	err := s.byName.QueryRowContext(r.Context(), authID).Scan(&credit)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	switch {
	case errors.Is(err, sql.ErrNoRows):
		w.Write([]byte("ERROR: auth failed: wrong user or password"))
		return
	case err != nil:
		log.Printf("load user: %v", err)
		w.Write([]byte("ERROR: internal error, try again later"))
		return
	}
	b := make([]byte, 0, 64)
	b = append(b, "Your credit is $"...)
	b = strconv.AppendFloat(b, credit, 'f', -1, 64)
	w.Write(b)
}

func main() {
	dbPath := flag.String("db", "", "SQLite file (already migrated and seeded)")
	dsn := flag.String("dsn", "", "database DSN instead of -db (sqlite:PATH or postgres://...)")
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	flag.Parse()
	if *dsn == "" && *dbPath != "" {
		*dsn = "sqlite:" + *dbPath
	}
	if *dsn == "" {
		fmt.Fprintln(os.Stderr, "ceiling: -db PATH or -dsn DSN is required")
		os.Exit(2)
	}
	if err := run(*dsn, *listen); err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		os.Exit(1)
	}
}

func run(dsn, listen string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// schema.Open is what mvapi serve uses: the same DSN (WAL,
	// busy_timeout, synchronous NORMAL, ...) and the same pool size.
	db, err := schema.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := db.PrepareContext(ctx, db.Dialect.Rebind(userQuery))
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	defer st.Close()
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: &server{byName: st}}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	fmt.Fprintf(os.Stderr, "%s; serving on %s\n", What, ln.Addr())
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

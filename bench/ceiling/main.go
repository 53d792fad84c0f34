// Command ceiling is the upper bound `make bench` compares mvapi's balance
// entry against: a bare net/http server doing the same SQL work as mvapi's
// hot path (one prepared, indexed SELECT of the user by username on the same
// SQLite file, opened with the same pragmas and pool size) and nothing else:
// no api key, no password check, no rule table, no formats.
//
//	ceiling -db PATH -listen 127.0.0.1:PORT
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

// userQuery is the statement mvapi's userStore prepares for ByUsername
// (engine/user.go: "SELECT " + userColumns + " WHERE username = ?").
const userQuery = `SELECT id, type, username, password, name, email, phone, currency, country, address,
 credit, postpaid, enabled, temporarydisabled, status, statusdate, ip, COALESCE(pin, ''), parentid FROM tb_users WHERE username = ?`

// user holds every column the query returns, so the scan costs what
// mvapi's scanUser costs.
type user struct {
	ID                int64
	Type              int
	Username          string
	Password          string
	Name              string
	Email             string
	Phone             string
	Currency          string
	Country           string
	Address           string
	Credit            float64
	Postpaid          int
	Enabled           int
	TemporaryDisabled int
	Status            int
	StatusDate        sql.NullTime
	IP                string
	PIN               string
	ParentID          int64
}

type server struct{ byName *sql.Stmt }

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/mvapireq/" {
		http.NotFound(w, r)
		return
	}
	authID := r.URL.Query().Get("authid")
	var u user
	err := s.byName.QueryRowContext(r.Context(), authID).Scan(&u.ID, &u.Type, &u.Username, &u.Password,
		&u.Name, &u.Email, &u.Phone, &u.Currency, &u.Country, &u.Address, &u.Credit, &u.Postpaid,
		&u.Enabled, &u.TemporaryDisabled, &u.Status, &u.StatusDate, &u.IP, &u.PIN, &u.ParentID)
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
	b = strconv.AppendFloat(b, u.Credit, 'f', -1, 64)
	w.Write(b)
}

func main() {
	dbPath := flag.String("db", "", "SQLite file (already migrated and seeded)")
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	flag.Parse()
	if *dbPath == "" {
		fmt.Fprintln(os.Stderr, "ceiling: -db PATH is required")
		os.Exit(2)
	}
	if err := run(*dbPath, *listen); err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		os.Exit(1)
	}
}

func run(dbPath, listen string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// schema.Open is what mvapi serve uses: the same DSN (WAL,
	// busy_timeout, synchronous NORMAL, ...) and the same pool size.
	db, err := schema.Open(ctx, "sqlite:"+dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := db.PrepareContext(ctx, userQuery)
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
	fmt.Fprintf(os.Stderr, "ceiling serving on %s\n", ln.Addr())
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

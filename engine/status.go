package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"mvapi/engine/sqltemplate"
	"mvapi/schema"
)

// What apistatus shows: the rows that did not compile when the server
// started (their entries answer "not available (misconfigured)") and, per
// entry, the failures of work done after the answer (asynchronous
// customsql, custom_action). The counters live in the engine, not in the
// snapshot, so a reload keeps them.

// checkTimeout bounds the check of one statement against the database.
const checkTimeout = 10 * time.Second

// checkSQL asks the database whether t would run, without running it
// (schema.DB.CheckStatement). A refusal is the row's error (rowErr), with
// the database's message; trouble reaching the database is fatal to the
// whole load. A statement the database cannot check without running it
// passes, logged at warning level.
func (e *Engine) checkSQL(ctx context.Context, t *sqltemplate.Template) (rowErr, fatal error) {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	err := e.db.CheckStatement(ctx, t.SQL(), len(t.Keys()))
	var se *schema.StatementError
	switch {
	case err == nil:
		return nil, nil
	case errors.Is(err, schema.ErrNotChecked):
		e.log.Warn("statement not checked against the database", "sql", t.SQL(), "reason", err)
		return nil, nil
	case errors.As(err, &se):
		return fmt.Errorf("%s refused it: %w", e.db.Dialect.Title(), err), nil
	}
	return nil, fmt.Errorf("check statements against the database: %w", err)
}

// logBadRows logs every row that does not compile at start, loudly: its
// entry is not available until a reload that compiles.
func (e *Engine) logBadRows(rows []*RowError) {
	for _, r := range rows {
		table := r.Table
		if table == "" {
			table = "tb_api"
		}
		e.log.Error("row does not compile: not available (misconfigured) until fixed and reloaded",
			"table", table, "id", r.ID, "name", r.Fname, "field", r.Field, "err", r.Err)
	}
}

// ReportBadRows records rows of a reload hook (tb_scheduledtasks) that did
// not compile when the server started; they are logged and listed by
// BadRows until a reload compiles every row. The wiring calls it.
func (e *Engine) ReportBadRows(rows []*RowError) {
	e.logBadRows(rows)
	e.status.mu.Lock()
	defer e.status.mu.Unlock()
	e.status.bad = append(e.status.bad, rows...)
}

// BadRows lists the rows that did not compile when the server started,
// tb_api's first, as long as no reload replaced them.
func (e *Engine) BadRows() []*RowError {
	out := e.Table().Bad()
	e.status.mu.Lock()
	defer e.status.mu.Unlock()
	return append(out, e.status.bad...)
}

// AsyncFailure counts the failures of one entry's work after its answer.
type AsyncFailure struct {
	Entry string
	// What failed last: "customsql" (asynchronous statement) or
	// "custom_action".
	What      string
	Count     int64
	LastError string
	Last      time.Time
}

// AsyncFailures lists the entries whose asynchronous customsql or
// custom_action failed since the server started, sorted by entry.
func (e *Engine) AsyncFailures() []AsyncFailure {
	e.status.mu.Lock()
	defer e.status.mu.Unlock()
	out := make([]AsyncFailure, 0, len(e.status.async))
	for _, f := range e.status.async {
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Entry < out[j].Entry })
	return out
}

// statusState is the engine's part of apistatus.
type statusState struct {
	mu    sync.Mutex
	bad   []*RowError
	async map[string]*AsyncFailure
}

// maxStatusError is the longest error text kept per entry.
const maxStatusError = 500

func (s *statusState) asyncFailed(entry, what string, err error) {
	msg := err.Error()
	if len(msg) > maxStatusError {
		msg = msg[:maxStatusError] + "..."
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.async == nil {
		s.async = map[string]*AsyncFailure{}
	}
	f := s.async[entry]
	if f == nil {
		f = &AsyncFailure{Entry: entry}
		s.async[entry] = f
	}
	f.What, f.LastError, f.Last = what, msg, time.Now()
	f.Count++
}

func (s *statusState) clearBad() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bad = nil
}

// Position is where the database located the error in the row's compiled
// statement (1-based, in characters; 0 when it did not say).
func (e *RowError) Position() int {
	var se *schema.StatementError
	if errors.As(e.Err, &se) {
		return se.Position
	}
	return 0
}

// Hint is the database's hint about the error, "" when none.
func (e *RowError) Hint() string {
	var se *schema.StatementError
	if errors.As(e.Err, &se) {
		return se.Hint
	}
	return ""
}

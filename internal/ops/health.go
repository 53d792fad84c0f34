package ops

import (
	"context"
	"time"

	"mvapi/engine"
	"mvapi/schema"
)

// Check is one readiness check as /ready answers it.
type Check struct {
	Name   string  `json:"name"`
	OK     bool    `json:"ok"`
	Error  string  `json:"error,omitempty"`
	Millis float64 `json:"ms"`
}

// Report is the /ready answer.
type Report struct {
	Ready  bool    `json:"ready"`
	Checks []Check `json:"checks"`
}

// Ready runs the readiness checks:
//
//	database  reachable and writable (engine.ProbeDB: ping and a one-row
//	          UPDATE of tb_health within engine.ProbeTimeout);
//	table     a rule table is loaded;
//	outbox    no pending message has been due for more than readyoutboxstuck
//	          seconds without a worker holding it (0 turns the check off).
func (a *Admin) Ready(ctx context.Context) Report {
	var rep Report
	add := func(name string, start time.Time, err error) {
		c := Check{Name: name, OK: err == nil, Millis: float64(time.Since(start).Microseconds()) / 1000}
		if err != nil {
			c.Error = err.Error()
		}
		rep.Checks = append(rep.Checks, c)
	}
	start := time.Now()
	_, dbErr := a.Engine.ProbeDB(ctx)
	add("database", start, dbErr)

	start = time.Now()
	var tErr error
	if s := a.Engine.Snapshot(); s == nil || s.Table == nil || s.Table.Len() == 0 {
		tErr = errString("no rule table loaded")
	}
	add("table", start, tErr)

	if stuck := a.Engine.Config().Int("readyoutboxstuck"); stuck > 0 {
		start = time.Now()
		var oErr error
		if dbErr != nil {
			oErr = errString("not checked: database down")
		} else if n, err := stuckMessages(ctx, a.DB, time.Duration(stuck)*time.Second); err != nil {
			oErr = err
		} else if n > 0 {
			oErr = errString(itoa(n) + " outbox message(s) due for more than " + itoa(stuck) + " s and not being delivered")
		}
		add("outbox", start, oErr)
	}
	rep.Ready = true
	for _, c := range rep.Checks {
		rep.Ready = rep.Ready && c.OK
	}
	return rep
}

type errString string

func (e errString) Error() string { return string(e) }

// stuckMessages counts pending messages due for longer than stuck that no
// worker holds a lease on.
func stuckMessages(ctx context.Context, db *schema.DB, stuck time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, engine.ProbeTimeout)
	defer cancel()
	now := time.Now().UTC()
	var n int
	err := db.GetContext(ctx, &n, outboxStuckSQL(db.Dialect), now.Add(-stuck), now)
	return n, err
}

var outboxStuckSQL = schema.Statement(`SELECT COUNT(*) FROM tb_outbox WHERE status = 'pending' AND next_attempt < ?
 AND (lease_until IS NULL OR lease_until < ?)`)

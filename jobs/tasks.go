package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/robfig/cron/v3"

	"mvapi/engine"

	"mvapi/schema"
)

// task is one compiled row of tb_scheduledtasks.
type task struct {
	id     int64
	name   string
	sched  cron.Schedule
	action engine.Action
}

func (t *task) job() string { return "task:" + strconv.FormatInt(t.id, 10) + ":" + t.name }

type taskRow struct {
	ID     int64          `db:"id"`
	Name   string         `db:"name"`
	Spec   string         `db:"schedule"`
	Action int            `db:"custom_action"`
	Body   sql.NullString `db:"custom_action_body"`
}

// Prepare compiles the enabled rows of tb_scheduledtasks under cfg, their
// SQL checked against the database; a bad schedule or action fails the
// reload and names the row, like a bad tb_api row. With bad rows it
// returns a *engine.CompileError and an install of the good tasks only,
// which a reload discards and a starting server uses (New).
func (s *Scheduler) Prepare(ctx context.Context, cfg *engine.Config) (func(), error) {
	var rows []taskRow
	if err := s.db.SelectContext(ctx, &rows, tasksSQL(s.db.Dialect)); err != nil {
		return nil, fmt.Errorf("load tb_scheduledtasks: %w", err)
	}
	var tasks []*task
	var bad []*engine.RowError
	for _, r := range rows {
		fail := func(field string, err error) {
			bad = append(bad, &engine.RowError{Table: "tb_scheduledtasks", ID: r.ID, Fname: r.Name, Field: field, Err: err})
		}
		sched, err := parseSchedule(r.Spec)
		if err != nil {
			fail("schedule", err)
		}
		if r.Action > 50 || r.Action <= 0 {
			fail("custom_action", fmt.Errorf("code %d: a task runs a success action (1 email, 2 SMS, 4 restart, 6 reboot, 7 command, 8 SQL)", r.Action))
			continue
		}
		act, aerr := s.eng.CompileAction(ctx, cfg, r.Action, r.Body.String)
		if aerr != nil {
			fail("custom_action", aerr)
		}
		if err == nil && aerr == nil {
			tasks = append(tasks, &task{id: r.ID, name: r.Name, sched: sched, action: act})
		}
	}
	install := func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.tasks = tasks
		if s.running {
			s.startLocked()
		}
	}
	if len(bad) > 0 {
		return install, &engine.CompileError{Rows: bad}
	}
	return install, nil
}

// runTask runs a task's action as an admin call without a request.
func (s *Scheduler) runTask(ctx context.Context, t *task) (string, error) {
	c := &engine.Call{
		Engine: s.eng,
		Entry:  &engine.Entry{Name: t.job()},
		Req:    &engine.Request{Params: engine.Params{}, Transport: "scheduler"},
		Admin:  true,
		Config: s.eng.Config(),
	}
	if err := s.eng.RunAction(ctx, t.action, c, engine.OK("scheduled task "+t.name)); err != nil {
		return "", err
	}
	return "OK: " + strings.TrimSpace(t.name) + " done", nil
}

var tasksSQL = schema.Statement("SELECT id, name, schedule, custom_action, custom_action_body FROM tb_scheduledtasks WHERE enabled <> 0 ORDER BY id")

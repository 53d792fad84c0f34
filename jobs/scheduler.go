// Package jobs runs scheduled work with robfig/cron: the built-in
// maintenance jobs (hourly, daily, weekly, monthly, the daily report) and
// the DBA's tasks of tb_scheduledtasks, whose actions run through the
// custom_action pipeline. Every run is recorded in tb_jobruns; the unique
// (job, tick) of that table lets exactly one of several nodes on one
// database run a given tick, and a run still going is not started again.
// A run whose node stopped its heartbeat (tb_nodes) is closed as failed.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"mvapi/engine"
	"mvapi/schema"
)

// Scheduler owns the cron runner. It is an engine.ReloadHook (apireload
// loads tb_scheduledtasks) and an engine.Maintainer (hourlymaint ...).
type Scheduler struct {
	eng  *engine.Engine
	db   *schema.DB
	log  *slog.Logger
	node string

	mu      sync.Mutex
	cron    *cron.Cron
	tasks   []*task
	running bool

	// The heartbeat in tb_nodes (see nodes.go).
	started            time.Time
	beatStop, beatDone chan struct{}
}

var (
	_ engine.ReloadHook = (*Scheduler)(nil)
	_ engine.Maintainer = (*Scheduler)(nil)
)

// New returns a scheduler for e with the tasks of tb_scheduledtasks
// loaded; it does not start (see Start) and does not register itself: the
// wiring (internal/server.Build) makes it e's reload hook and maintainer.
func New(ctx context.Context, e *engine.Engine) (*Scheduler, error) {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	s := &Scheduler{eng: e, db: e.DB(), log: e.Logger(), node: fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))}
	// A bad task does not stop a server (unless strictstart=1): the good
	// ones are scheduled, the bad ones logged and listed by apistatus.
	install, err := s.Prepare(ctx, e.Config())
	var ce *engine.CompileError
	if errors.As(err, &ce) && e.Config().Int("strictstart") == 0 {
		e.ReportBadRows(ce.Rows)
		err = nil
	}
	if err != nil {
		return nil, err
	}
	install()
	return s, nil
}

// Start runs the built-in jobs and the tasks on their schedules, and the
// node's heartbeat in tb_nodes.
func (s *Scheduler) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.startBeat()
	s.startLocked()
}

// Stop stops scheduling and waits (at most until ctx ends) for running jobs,
// then stops the heartbeat.
func (s *Scheduler) Stop(ctx context.Context) {
	s.mu.Lock()
	c := s.cron
	s.cron, s.running = nil, false
	s.mu.Unlock()
	if c == nil {
		s.stopBeat(true)
		return
	}
	select {
	case <-c.Stop().Done():
		s.stopBeat(true)
	case <-ctx.Done():
		s.stopBeat(false) // a job still runs: its node row stays until the lease runs out
	}
}

// Restart stops and starts the scheduler (the maintreset entry).
func (s *Scheduler) Restart(ctx context.Context) error {
	s.Stop(ctx)
	s.Start()
	return nil
}

func (s *Scheduler) startLocked() {
	if s.cron != nil {
		s.cron.Stop()
	}
	logger := cron.PrintfLogger(slogPrintf{s.log})
	c := cron.New(cron.WithLocation(time.UTC), cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	for _, j := range builtinJobs {
		sched, err := parseSchedule(j.spec)
		if err != nil {
			panic("jobs: bad built-in schedule " + j.spec)
		}
		name, run := j.name, j.run
		c.Schedule(sched, cron.FuncJob(func() { s.tick(name, sched, 0, func(ctx context.Context) (string, error) { return run(ctx, s) }) }))
	}
	for _, t := range s.tasks {
		t := t
		c.Schedule(t.sched, cron.FuncJob(func() {
			s.tick(t.job(), t.sched, t.id, func(ctx context.Context) (string, error) { return s.runTask(ctx, t) })
		}))
	}
	c.Start()
	s.cron, s.running = c, true
}

// RunJob runs a built-in job now (hourlymaint, dailymaint, weeklymaint,
// monthlymaint, dailyreport) and records the run.
func (s *Scheduler) RunJob(ctx context.Context, name string) (string, error) {
	for _, j := range builtinJobs {
		if j.name == name {
			return s.record(ctx, name, time.Now().UTC(), 0, func(ctx context.Context) (string, error) { return j.run(ctx, s) })
		}
	}
	return "", fmt.Errorf("no job %q", name)
}

// tick runs one scheduled occurrence unless another node claimed it or
// an earlier run of the same job is still going.
func (s *Scheduler) tick(job string, sched cron.Schedule, taskID int64, run func(context.Context) (string, error)) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(max(s.eng.Config().Int("jobtimeout"), 1))*time.Second)
	defer cancel()
	_, err := s.record(ctx, job, tickOf(sched, time.Now().UTC()), taskID, run)
	countTick(job, err)
	if err != nil && !errors.Is(err, errSkipped) {
		s.log.Error("scheduled job failed", "job", job, "err", err)
	}
	if taskID != 0 {
		next := sched.Next(time.Now().UTC())
		if _, err := s.db.ExecContext(ctx, taskNextRunSQL(s.db.Dialect), next, taskID); err != nil {
			s.log.Error("record next run", "job", job, "err", err)
		}
	}
}

// errSkipped means another node runs this tick or the job still runs.
var errSkipped = errors.New("skipped")

// record claims (job, tick) in tb_jobruns, runs, and stores the outcome.
func (s *Scheduler) record(ctx context.Context, job string, tick time.Time, taskID int64, run func(context.Context) (string, error)) (string, error) {
	d := s.db.Dialect
	now := time.Now().UTC()
	if _, err := s.reclaim(ctx, job, now); err != nil {
		return "", err
	}
	var busy int
	stale := now.Add(-time.Duration(max(s.eng.Config().Int("jobtimeout"), 1)) * time.Second)
	if err := s.db.GetContext(ctx, &busy, jobBusySQL(d), job, stale); err != nil {
		return "", fmt.Errorf("job %s: %w", job, err)
	}
	if busy > 0 {
		s.log.Info("job still running, tick skipped", "job", job, "tick", tick)
		return "", errSkipped
	}
	// The run starts now, after the busy check: a run it saw finished has
	// its finished time before this one (taking the time before the check
	// could stamp a start a moment before the previous run's end).
	var id int64
	err := s.db.QueryRowxContext(ctx, jobClaimSQL(d),
		job, tick, s.node, time.Now().UTC()).Scan(&id)
	if err != nil {
		if schema.IsUniqueViolation(err) {
			return "", errSkipped
		}
		return "", fmt.Errorf("job %s: claim tick: %w", job, err)
	}
	result, runErr := run(ctx)
	ok := 1
	if runErr != nil {
		ok, result = 0, "ERROR: "+runErr.Error()
	}
	end := time.Now().UTC()
	if _, err := s.db.ExecContext(context.WithoutCancel(ctx), jobDoneSQL(d), end, ok, clip(result), id); err != nil {
		s.log.Error("record job run", "job", job, "err", err)
	}
	if taskID != 0 {
		if _, err := s.db.ExecContext(context.WithoutCancel(ctx), taskDoneSQL(d), end, clip(result), taskID); err != nil {
			s.log.Error("record task run", "job", job, "err", err)
		}
	}
	return result, runErr
}

func clip(s string) string {
	if len(s) > 2000 {
		return s[:2000]
	}
	return s
}

type slogPrintf struct{ log *slog.Logger }

func (l slogPrintf) Printf(format string, args ...any) { l.log.Info(fmt.Sprintf(format, args...)) }

var taskNextRunSQL = schema.Statement("UPDATE tb_scheduledtasks SET nextrun = ? WHERE id = ?")

var jobBusySQL = schema.Statement("SELECT COUNT(*) FROM tb_jobruns WHERE job = ? AND finished IS NULL AND started > ?")

var jobClaimSQL = schema.StatementFunc(func(d schema.Dialect) string {
	return d.ReturningID("INSERT INTO tb_jobruns (job, tick, node, started) VALUES (?, ?, ?, ?)")
})

var jobDoneSQL = schema.Statement("UPDATE tb_jobruns SET finished = ?, ok = ?, result = ? WHERE id = ?")

var taskDoneSQL = schema.Statement("UPDATE tb_scheduledtasks SET lastrun = ?, lastresult = ? WHERE id = ?")

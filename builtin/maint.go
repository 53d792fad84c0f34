package builtin

import (
	"context"

	"mvapi/engine"
	"mvapi/engine/format"
)

// maintJobs maps the maintenance entries to the scheduler's jobs.
var maintJobs = map[string]string{
	"hourlymaint": "hourly", "dailymaint": "daily", "weeklymaint": "weekly",
	"monthlymaint": "monthly", "dailyreport": "dailyreport",
}

func registerMaint(reg *engine.Registry) {
	for entry, job := range maintJobs {
		reg.Add(engine.Builtin{
			Name: entry, Access: engine.AdminAPI, Handler: runJob(job),
			Doc: "Runs the " + job + " maintenance job now and answers its result.",
		})
	}
	reg.Add(engine.Builtin{
		Name: "maintreset", Access: engine.AdminAPI, Handler: maintreset,
		Doc: "Restarts the scheduler (built-in jobs and tb_scheduledtasks).",
	})
	reg.Add(engine.Builtin{
		Name: "restart", Access: engine.SensitiveAPI, Params: []string{"what"}, Handler: restart,
		Doc: "what=service (default): graceful restart of mvapi (restartmode); server, database and force are not supported.",
	})
	reg.Add(engine.Builtin{
		Name: "rulesreload", Access: engine.AdminAPI, Handler: apireload,
		Doc: "Same as apireload: recompiles tb_api and tb_scheduledtasks.",
	})
}

func runJob(job string) engine.Handler {
	return func(ctx context.Context, c *engine.Call) (format.Result, error) {
		m := c.Engine.Maintainer()
		if m == nil {
			return engine.Errorf("no scheduler runs in this process"), nil
		}
		out, err := m.RunJob(ctx, job)
		if err != nil {
			return engine.Errorf("%s failed: %v", job, err), nil
		}
		return engine.OK(trimOK(out)), nil
	}
}

func maintreset(ctx context.Context, c *engine.Call) (format.Result, error) {
	m := c.Engine.Maintainer()
	if m == nil {
		return engine.Errorf("no scheduler runs in this process"), nil
	}
	if err := m.Restart(ctx); err != nil {
		return engine.Errorf("maintreset failed: %v", err), nil
	}
	return engine.OK("scheduler restarted"), nil
}

func trimOK(s string) string {
	if len(s) > 4 && s[:4] == "OK: " {
		return s[4:]
	}
	return s
}

func restart(_ context.Context, c *engine.Call) (format.Result, error) {
	what := c.Param("what")
	if what != "" && what != "service" {
		return engine.Failf(engine.KindNotSupported, "not supported: restart what=%s (only service; reboot the host with custom_action 6)", clipText(what, 32)), nil
	}
	r := c.Engine.Restarter()
	if r == nil {
		return engine.Errorf("no restart is possible in this process"), nil
	}
	who := "a trusted IP"
	if c.User != nil {
		who = c.User.Username
	}
	r("restart entry by " + who)
	return engine.OK("restarting gracefully"), nil
}

package actions

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/schema"
)

// restartKind compiles custom_action 4 and 54: a graceful restart of this
// server (see Deps.Restart and restartmode).
type restartKind struct{ a *Actions }

func (k restartKind) Compile(body string, d schema.Dialect, _ *engine.Config) (engine.Action, error) {
	if k.a.deps.Restart == nil {
		return nil, errors.New("restart is not available in this process")
	}
	t, err := parseText(body, d)
	if err != nil {
		return nil, err
	}
	return &restartAction{a: k.a, reason: t}, nil
}

// restartAction asks the server to restart; the body, rendered, is the
// reason written to the log.
type restartAction struct {
	a      *Actions
	reason text
}

func (x *restartAction) Run(ctx context.Context, c *engine.Call, res format.Result) error {
	env := &renderEnv{ctx: ctx, c: c, res: res, q: c.DB(), now: now()}
	reason, err := x.reason.render(env, oneLine)
	if err != nil || strings.TrimSpace(reason) == "" {
		reason = "custom_action of " + c.Entry.Name
	}
	x.a.log.Warn("restart requested by custom_action", "entry", c.Entry.Name, "reason", reason)
	x.a.deps.Restart(reason)
	return nil
}

// rebootKind compiles custom_action 6 and 56: the OS command of
// rebootcommand, off while that option is empty.
type rebootKind struct{ a *Actions }

func (k rebootKind) Compile(_ string, _ schema.Dialect, cfg *engine.Config) (engine.Action, error) {
	line := cfg.Get("rebootcommand")
	if strings.TrimSpace(line) == "" {
		return nil, errors.New("reboot is off: set rebootcommand (for example /sbin/reboot) in global config")
	}
	argv, err := SplitArgs(line)
	if err != nil {
		return nil, fmt.Errorf("rebootcommand: %w", err)
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return nil, fmt.Errorf("rebootcommand: program %q not found: %v", argv[0], err)
	}
	return &rebootAction{a: k.a, line: line, path: path, args: argv[1:]}, nil
}

// rebootAction runs the reboot command compiled from rebootcommand.
type rebootAction struct {
	a    *Actions
	line string
	path string
	args []string
}

func (x *rebootAction) Run(ctx context.Context, c *engine.Call, _ format.Result) error {
	if c.Config.Get("rebootcommand") != x.line {
		return errors.New("reboot not run: rebootcommand changed since apireload (apireload to use the new one)")
	}
	x.a.log.Warn("reboot requested by custom_action", "entry", c.Entry.Name, "command", x.path)
	return runProgram(ctx, x.a, c.Config, "reboot", x.path, x.args)
}

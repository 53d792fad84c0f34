package actions

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/schema"
)

// maxOutput is how much of a command's output reaches the log.
const maxOutput = 16 << 10

// commandKind compiles custom_action 7 and 57: a program run without a
// shell, its argv split once here.
type commandKind struct{ a *Actions }

func (k commandKind) Compile(body string, d schema.Dialect, cfg *engine.Config) (engine.Action, error) {
	if cfg.Int("allowcmdaction") != 1 {
		return nil, errors.New("command actions are off: set allowcmdaction=1 in global config to allow them")
	}
	args, err := splitTemplate(body, d)
	if err != nil {
		return nil, fmt.Errorf("command line: %w", err)
	}
	prog := ""
	for _, p := range args[0] {
		if p.lit == "" {
			return nil, errors.New("command line: the program (first word) must be written out, not a {keyword}")
		}
		prog += p.lit
	}
	path, err := exec.LookPath(prog)
	if err != nil {
		return nil, fmt.Errorf("command line: program %q not found: %v", prog, err)
	}
	return &commandAction{a: k.a, path: path, args: args[1:]}, nil
}

// commandAction runs one program; every {keyword} value stays inside the
// argument it was written in, whatever it contains.
type commandAction struct {
	a    *Actions
	path string
	args []text
}

func (x *commandAction) Run(ctx context.Context, c *engine.Call, res format.Result) error {
	if c.Config.Int("allowcmdaction") != 1 {
		return errors.New("command action not run: allowcmdaction was switched off (apireload to drop the row)")
	}
	env := &renderEnv{ctx: ctx, c: c, res: res, q: c.CustomDB(), now: now()}
	argv := make([]string, len(x.args))
	for i, t := range x.args {
		v, err := t.render(env, plain)
		if err != nil {
			return fmt.Errorf("command: %w", err)
		}
		argv[i] = v
	}
	return runProgram(ctx, x.a, c.Config, "command", x.path, argv)
}

// runProgram runs path with argv (no shell) for at most cmdtimeout and logs
// its exit status and output.
func runProgram(ctx context.Context, a *Actions, cfg *engine.Config, what, path string, argv []string) error {
	ctx, cancel := context.WithTimeout(ctx, seconds(cfg, "cmdtimeout"))
	defer cancel()
	cmd := exec.CommandContext(ctx, path, argv...)
	out := &capped{max: maxOutput}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 2 * time.Second
	start := time.Now()
	err := cmd.Run()
	log := a.log.With("action", what, "program", path, "args", argv, "took", time.Since(start).Round(time.Millisecond),
		"output", out.String())
	if ctx.Err() == context.DeadlineExceeded {
		log.Error("command timed out and was killed", "timeout", seconds(cfg, "cmdtimeout"))
		return fmt.Errorf("%s %s: timed out", what, path)
	}
	if err != nil {
		log.Error("command failed", "err", err)
		return fmt.Errorf("%s %s: %w", what, path, err)
	}
	log.Info("command done")
	return nil
}

// capped keeps the first max bytes written to it.
type capped struct {
	buf bytes.Buffer
	max int
	cut bool
}

func (c *capped) Write(p []byte) (int, error) {
	room := c.max - c.buf.Len()
	if len(p) > room {
		c.cut = true
	}
	if room > 0 {
		c.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (c *capped) String() string {
	s := strings.ToValidUTF8(c.buf.String(), "?")
	if c.cut {
		s += "...(cut)"
	}
	return s
}

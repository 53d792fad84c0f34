package builtin

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"mvapi/engine"
	"mvapi/engine/format"
)

// The server log as the API sees it: the recent lines kept in memory by the
// logger's handler (internal/logring, wired by cmd/mvapi), already masked
// of secrets; and the global config with secret values masked.

// recentLog is what the logger's handler offers when it keeps lines.
type recentLog interface {
	Recent(n int) []string
	Search(substr string, n int) []string
}

// defaultLogLines is how many lines showlog answers without lines=.
const defaultLogLines = 100

func registerAdminLog(reg *engine.Registry) {
	for _, b := range []engine.Builtin{
		{Name: "showlog", Params: []string{"logname", "lines"}, Handler: showLog,
			Doc: "The newest lines of the server log (lines, default 100); logname main or empty (mvapi has one log)."},
		{Name: "log", Params: []string{"lines"}, Handler: showLog, Doc: "Same as showlog."},
		{Name: "logsearch", Params: []string{"txt", "lines"}, Handler: logSearch,
			Doc: "The newest log lines containing txt (case-insensitive), at most lines (default 100)."},
		{Name: "logrename", Handler: logRename, Doc: "Not supported: mvapi logs to stderr, rotate it where it is written."},
		{Name: "showcfg", Handler: showCfg, Doc: "The global config in force; secret values masked."},
	} {
		b.Access = engine.AdminAPI
		reg.Add(b)
	}
}

func serverLog(c *engine.Call) (recentLog, bool) {
	l, ok := c.Engine.Logger().Handler().(recentLog)
	return l, ok
}

func logLines(c *engine.Call) (int, error) {
	s := strings.TrimSpace(c.Param("lines"))
	if s == "" {
		return defaultLogLines, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 100000 {
		return 0, fmt.Errorf("bad lines %q: a whole number from 1", clipText(s, 12))
	}
	return n, nil
}

func logAnswer(lines []string) format.Result {
	rows := make([][]string, len(lines))
	for i, l := range lines {
		rows[i] = []string{l}
	}
	return table(fmt.Sprintf("%d lines", len(rows)), []string{"line"}, rows)
}

func showLog(_ context.Context, c *engine.Call) (format.Result, error) {
	switch name := strings.ToLower(strings.TrimSpace(c.Param("logname"))); name {
	case "", "main":
	default:
		return engine.Errorf("no such log: %s (mvapi has one log, main)", clipText(name, 20)), nil
	}
	n, err := logLines(c)
	if err != nil {
		return engine.Errorf("%v", err), nil
	}
	l, ok := serverLog(c)
	if !ok {
		return engine.Errorf("showlog: this server keeps no log lines in memory"), nil
	}
	return logAnswer(l.Recent(n)), nil
}

func logSearch(_ context.Context, c *engine.Call) (format.Result, error) {
	txt := strings.TrimSpace(c.Param("txt"))
	if txt == "" {
		return engine.Errorf("missing parameter: txt (the text to look for)"), nil
	}
	n, err := logLines(c)
	if err != nil {
		return engine.Errorf("%v", err), nil
	}
	l, ok := serverLog(c)
	if !ok {
		return engine.Errorf("logsearch: this server keeps no log lines in memory"), nil
	}
	return logAnswer(l.Search(txt, n)), nil
}

func logRename(context.Context, *engine.Call) (format.Result, error) {
	return engine.Failf(engine.KindNotSupported, "not supported: logrename (mvapi writes its log to stderr: rotate it where it goes, e.g. journald or logrotate)"), nil
}

// secretName guards config rows that are not registered options (a DBA's
// or another program's): a name that looks like a secret is masked too.
func secretName(name string) bool {
	n := strings.ToLower(name)
	for _, p := range []string{"pass", "pwd", "secret", "key", "token", "salt", "credential"} {
		if strings.Contains(n, p) {
			return true
		}
	}
	return false
}

// maskedSetting stands for a secret value that is set.
const maskedSetting = "xxxxx (set)"

// maskedValue is what showcfg shows of a value: a registered Secret
// option, or any name that looks like a secret, is masked.
func maskedValue(name, value string) string {
	secret := secretName(name)
	if o, ok := engine.LookupOption(name); ok && o.Secret {
		secret = true
	}
	if secret && value != "" {
		return maskedSetting
	}
	return value
}

func showCfg(_ context.Context, c *engine.Call) (format.Result, error) {
	names := c.Config.Names()
	rows := make([][]string, 0, len(names))
	for _, n := range names {
		def, known := "", false
		if o, ok := engine.LookupOption(n); ok {
			def, known = o.Default, true
		}
		reg := "yes"
		if !known {
			reg = "no"
		}
		rows = append(rows, []string{n, maskedValue(n, c.Config.Get(n)), def, reg, c.Config.Source(n)})
	}
	return table(fmt.Sprintf("%d options", len(rows)), []string{"name", "value", "default", "registered", "source"}, rows), nil
}

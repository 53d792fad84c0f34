package actions_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"mvapi/actions"
	"mvapi/engine/format"
)

// waitJSON waits for the helper process's output file.
func waitJSON(t *testing.T, path string) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			var args []string
			if err := json.Unmarshal(b, &args); err != nil {
				t.Fatal(err)
			}
			return args
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not written", path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCommandRunsNoShell: an argument "; rm -rf DIR" and a $(...) reach the
// program as single argv entries; no shell runs, nothing is removed.
func TestCommandRunsNoShell(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "x")
	os.MkdirAll(victim, 0o755)
	os.WriteFile(filepath.Join(victim, "keep"), []byte("1"), 0o600)
	out := filepath.Join(dir, "argv.json")
	r := newRig(t, true, map[string]string{"allowcmdaction": "1"}, actions.Deps{})
	r.row("hook", "SELECT 1", 7, helperCommand(out)+" --user={username} {txt} 'two words' {sparam1}")

	evil := "; rm -rf " + victim
	r.serve("apientry", "hook", "txt", evil, "sparam1", "$(touch "+filepath.Join(dir, "pwned")+")")
	got := waitJSON(t, out)
	want := []string{"--user=", evil, "two words", "$(touch " + filepath.Join(dir, "pwned") + ")"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("argv %q\nwant %q", got, want)
	}
	if _, err := os.Stat(filepath.Join(victim, "keep")); err != nil {
		t.Fatal("file removed:", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
		t.Fatal("command substitution ran")
	}
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(r.log.String(), "command done"); {
		if time.Now().After(deadline) {
			t.Fatalf("no log line: %s", r.log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCommandCompileRules: off without allowcmdaction, the program must be
// literal and exist, quotes must close.
func TestCommandCompileRules(t *testing.T) {
	r := newRig(t, true, map[string]string{"allowcmdaction": "1"}, actions.Deps{})
	kind := r.a.Kinds()[7]
	for body, want := range map[string]string{
		"{txt} a":                  "the program (first word) must be written out",
		"/no/such/program-mvapi a": `program "/no/such/program-mvapi" not found`,
		"echo 'open":               "unterminated ' quote",
		"echo {select 1 from t":    "no closing }",
		"echo {authpwd}":           "credentials may not be used",
		"  ":                       "empty command line",
	} {
		if _, err := kind.Compile(body, r.db.Dialect, r.e.Config()); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", body, err, want)
		}
	}
	off := newRig(t, true, nil, actions.Deps{})
	if _, err := off.a.Kinds()[7].Compile("echo x", off.db.Dialect, off.e.Config()); err == nil ||
		err.Error() != "command actions are off: set allowcmdaction=1 in global config to allow them" {
		t.Fatal(err)
	}
}

// TestCommandTimeout: a command running past cmdtimeout is killed.
func TestCommandTimeout(t *testing.T) {
	r := newRig(t, true, map[string]string{"allowcmdaction": "1", "cmdtimeout": "1"}, actions.Deps{})
	act, err := r.a.Kinds()[7].Compile("sleep 30", r.db.Dialect, r.e.Config())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = act.Run(context.Background(), r.call("apitest"), format.Result{OK: true})
	if err == nil || !strings.Contains(err.Error(), "timed out") || time.Since(start) > 5*time.Second {
		t.Fatalf("%v after %v", err, time.Since(start))
	}
}

// TestRestartActionCallsTheHook: custom_action 4 asks for a restart with
// the rendered body as the reason; 54 fires on failure only.
func TestRestartActionCallsTheHook(t *testing.T) {
	reasons := make(chan string, 4)
	r := newRig(t, true, nil, actions.Deps{Restart: func(reason string) { reasons <- reason }})
	r.row("deploy", "SELECT 1", 4, "deploy {sparam1}")
	r.row("rating", "", 54, "rating broke")
	r.serve("apientry", "deploy", "sparam1", "v2")
	select {
	case got := <-reasons:
		if got != "deploy v2" {
			t.Fatalf("reason %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("restart hook not called")
	}
	if got := r.serve("apientry", "rating", "bnum", "1"); !strings.HasPrefix(got, "ERROR:") {
		t.Fatal(got)
	}
	if got := <-reasons; got != "rating broke" {
		t.Fatalf("reason %q", got)
	}
	noHook := newRig(t, true, nil, actions.Deps{})
	if _, err := noHook.a.Kinds()[4].Compile("x", noHook.db.Dialect, noHook.e.Config()); err == nil {
		t.Fatal("restart compiled without a hook")
	}
}

// TestRebootRunsRebootCommand: 6 runs rebootcommand (no shell) and is off
// while it is empty.
func TestRebootRunsRebootCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "reboot.json")
	r := newRig(t, true, map[string]string{"rebootcommand": helperCommand(out) + " now"}, actions.Deps{})
	r.row("bye", "SELECT 1", 6, "")
	r.serve("apientry", "bye")
	if got := waitJSON(t, out); !reflect.DeepEqual(got, []string{"now"}) {
		t.Fatalf("argv %q", got)
	}
	off := newRig(t, true, nil, actions.Deps{})
	if _, err := off.a.Kinds()[6].Compile("", off.db.Dialect, off.e.Config()); err == nil ||
		!strings.HasPrefix(err.Error(), "reboot is off: set rebootcommand") {
		t.Fatal(err)
	}
}

// Package packaging holds the systemd unit (mvapi.service) and the tests of
// it and of the Dockerfile at the repository root. Docker cannot build on
// the development machines, so the test builds the Dockerfile's binary with
// the Dockerfile's own go build line and checks that it is static and runs;
// the unit is checked with systemd-analyze verify where it exists.
package packaging

import (
	"bufio"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"mvapi/engine"
)

// instruction is one Dockerfile line: the keyword and the rest.
type instruction struct{ cmd, args string }

func dockerfile(t *testing.T) []instruction {
	t.Helper()
	f, err := os.Open("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []instruction
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cmd, args, _ := strings.Cut(line, " ")
		out = append(out, instruction{strings.ToUpper(cmd), strings.TrimSpace(args)})
	}
	return out
}

// words splits a shell command line; "..." keeps spaces.
func words(s string) []string {
	var out []string
	var cur strings.Builder
	in, quoted := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, in = !quoted, true
		case r == ' ' && !quoted:
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

// goBuild is the Dockerfile's go build: its environment and arguments.
func goBuild(t *testing.T) (env, args []string) {
	t.Helper()
	for _, in := range dockerfile(t) {
		if in.cmd != "RUN" || !strings.Contains(in.args, "go build") {
			continue
		}
		w := words(in.args)
		for i, s := range w {
			if s == "go" {
				return w[:i], w[i+1:]
			}
		}
	}
	t.Fatal("the Dockerfile has no RUN ... go build")
	return nil, nil
}

var (
	staticOnce sync.Once
	staticBin  string
	staticErr  string
)

// buildStatic builds the binary exactly as the Dockerfile does (output and
// version aside).
func buildStatic(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("skipped with -short: builds the binary")
	}
	env, args := goBuild(t)
	staticOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mvapi-static-")
		if err != nil {
			staticErr = err.Error()
			return
		}
		staticBin = filepath.Join(dir, "mvapi")
		for i := range args {
			args[i] = strings.ReplaceAll(args[i], "${VERSION}", "pkgtest")
			if i > 0 && args[i-1] == "-o" {
				args[i] = staticBin
			}
		}
		cmd := exec.Command("go", args...)
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			staticErr = "go " + strings.Join(args, " ") + ": " + err.Error() + "\n" + string(out)
		}
	})
	if staticErr != "" {
		t.Fatal(staticErr)
	}
	return staticBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if staticBin != "" {
		os.RemoveAll(filepath.Dir(staticBin))
	}
	os.Exit(code)
}

// TestDockerfile: multi-stage, a static CGO_ENABLED=0 build, a distroless
// or scratch runtime as a non-root user, a volume, the API port exposed,
// and no HEALTHCHECK (distroless has nothing to run it with; /ready on the
// admin listener is probed from outside). The binary built
// with the Dockerfile's line is static and runs.
func TestDockerfile(t *testing.T) {
	ins := dockerfile(t)
	var froms []string
	last := map[string]string{} // of the final stage
	for _, in := range ins {
		if in.cmd == "FROM" {
			froms = append(froms, in.args)
			last = map[string]string{}
		}
		last[in.cmd] += in.args + "\n"
	}
	if len(froms) < 2 {
		t.Fatalf("not multi-stage: %v", froms)
	}
	if final := froms[len(froms)-1]; !strings.HasPrefix(final, "scratch") && !strings.Contains(final, "distroless/static") {
		t.Errorf("runtime image %q: want scratch or distroless/static", final)
	}
	user := strings.TrimSpace(last["USER"])
	if user == "" || user == "root" || strings.HasPrefix(user, "0") {
		t.Errorf("USER %q: the runtime must not be root", user)
	}
	if !strings.Contains(last["VOLUME"], "/data") || !strings.Contains(last["WORKDIR"], "/data") || !strings.Contains(last["ENV"], "MVAPI_DB=sqlite:/data/") {
		t.Errorf("want the SQLite file on the volume /data: VOLUME %q WORKDIR %q ENV %q", last["VOLUME"], last["WORKDIR"], last["ENV"])
	}
	port, _ := engine.LookupOption("mainaport")
	if !regexp.MustCompile(`(^|\s)` + port.Default + `(/tcp)?(\s|$)`).MatchString(last["EXPOSE"]) {
		t.Errorf("EXPOSE %q lacks mainaport %s", last["EXPOSE"], port.Default)
	}
	if last["HEALTHCHECK"] != "" {
		t.Errorf("HEALTHCHECK %q: the distroless image has no shell or curl to run it; probe /ready on adminhttpaddr from outside", last["HEALTHCHECK"])
	}
	env, args := goBuild(t)
	if !strings.Contains(strings.Join(env, " "), "CGO_ENABLED=0") {
		t.Errorf("go build without CGO_ENABLED=0: %v", env)
	}
	// make static builds the same way.
	mk, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	flags := strings.ReplaceAll(strings.Join(args[1:len(args)-3], " "), "${VERSION}", "$(VERSION)")
	if !strings.Contains(strings.ReplaceAll(string(mk), `"`, ""), "CGO_ENABLED=0 $(GO) build "+flags) {
		t.Errorf("the Makefile's static target does not build with the Dockerfile's flags %q", flags)
	}

	bin := buildStatic(t)
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("the binary has a dynamic loader (PT_INTERP): not static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Fatalf("the binary needs %v", libs)
	}
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "pkgtest") {
		t.Fatalf("%s --version: %v %q", bin, err, out)
	}
	st, _ := os.Stat(bin)
	t.Logf("static binary: %.1f MB, %s", float64(st.Size())/1e6, strings.TrimSpace(string(out)))
}

// unit reads mvapi.service as key -> values.
func unit(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile("mvapi.service")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "[") {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		out[k] = append(out[k], v)
	}
	return out
}

// TestSystemdUnit: check before start, restart on the graceful-restart
// status, a working directory and a dedicated user, hardening; and
// systemd-analyze verify accepts it (where systemd-analyze exists).
func TestSystemdUnit(t *testing.T) {
	u := unit(t)
	one := func(k string) string {
		if len(u[k]) == 0 {
			t.Errorf("no %s=", k)
			return ""
		}
		return u[k][len(u[k])-1]
	}
	if !strings.Contains(one("ExecStartPre"), "mvapi check") {
		t.Errorf("ExecStartPre %q: want mvapi check", one("ExecStartPre"))
	}
	if !strings.HasSuffix(one("ExecStart"), "mvapi serve") {
		t.Errorf("ExecStart %q", one("ExecStart"))
	}
	restart, err := os.ReadFile("../cmd/mvapi/restart.go")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`const ExitRestart = (\d+)`).FindSubmatch(restart)
	if m == nil || one("RestartForceExitStatus") != string(m[1]) {
		t.Errorf("RestartForceExitStatus=%s, ExitRestart in restart.go %q", one("RestartForceExitStatus"), m)
	}
	if !strings.Contains(strings.Join(u["Environment"], " "), "MVAPI_RESTARTMODE=exit") {
		t.Error("restartmode is not exit: systemd would not see a graceful restart")
	}
	if wd := one("WorkingDirectory"); !strings.HasPrefix(wd, "/var/lib/") {
		t.Errorf("WorkingDirectory %q", wd)
	}
	if user := one("User"); user == "" || user == "root" {
		t.Errorf("User %q: want a dedicated user", user)
	}
	for k, want := range map[string]string{"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes"} {
		if got := one(k); got != want {
			t.Errorf("%s=%s, want %s", k, got, want)
		}
	}
	if strings.Contains(strings.Join(u["ExecStart"], " ")+strings.Join(u["ExecStartPre"], " "), "--db ") {
		t.Error("a DSN on the command line shows in ps: use MVAPI_DB in the EnvironmentFile or --db-file")
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze not installed: the unit's syntax is not verified")
		return
	}
	bin := buildStatic(t)
	b, _ := os.ReadFile("mvapi.service")
	dir := t.TempDir()
	path := filepath.Join(dir, "mvapi.service")
	os.WriteFile(path, []byte(strings.ReplaceAll(string(b), "/usr/local/bin/mvapi", bin)), 0o644)
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	if out, err := exec.Command(analyze, "security", "--offline=yes", path).CombinedOutput(); err == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		t.Log(lines[len(lines)-1])
	}
}

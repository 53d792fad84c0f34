package actions

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"mvapi/engine"
)

// TestEveryOptionReadIsRegistered: each global config option the actions
// and the messaging built-ins read is in engine.ConfigOptions (so it has a
// default, a type check and a README row).
func TestEveryOptionReadIsRegistered(t *testing.T) {
	re := regexp.MustCompile(`(?:\.Get|\.Int|millis\(cfg,|seconds\(cfg,)\(?\s*"([a-z0-9]+)"`)
	var files []string
	all, _ := filepath.Glob("*.go")
	for _, f := range all {
		if !strings.HasSuffix(f, "_test.go") {
			files = append(files, f)
		}
	}
	files = append(files, "../builtin/messaging.go")
	seen := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			seen++
			if _, ok := engine.LookupOption(m[1]); !ok {
				t.Errorf("%s reads option %q, which engine.ConfigOptions lacks", f, m[1])
			}
		}
	}
	if seen < 20 {
		t.Fatalf("only %d option reads found: the pattern is stale", seen)
	}
}

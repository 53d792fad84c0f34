package engine_test

import (
	"testing"

	"mvapi/engine"
)

// Every security option (the one list in engine/trust.go) is a registered
// option, and the folders are among them.
func TestSecurityOptionsAreRegistered(t *testing.T) {
	for _, n := range engine.SecurityOptionNames() {
		if _, ok := engine.LookupOption(n); !ok {
			t.Errorf("security option %s is not registered", n)
		}
	}
	for _, n := range []string{"allowcmdaction", "rebootcommand", "serverdir", "trustediplist", "filestoragedir", "backupdir"} {
		if !engine.IsSecurityOption(n) {
			t.Errorf("%s is not a security option", n)
		}
	}
	if !engine.IsStartupOption("serverdir") || engine.IsStartupOption("trustediplist") {
		t.Error("startup options")
	}
}

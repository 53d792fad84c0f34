package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// The reference's names and values from the command line: httpapikey is
// accepted as apiv2key and answers requests with that key; a value outside
// an option's documented range stops serve before it listens.
func TestServeReferenceNamesAndRanges(t *testing.T) {
	sets, err := parseSets([]string{"httpapikey=oldkey77", "trustlanip=true"})
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, "", sets)
	if s.key != "oldkey77" || !s.m.Engine.Config().TrustLAN {
		t.Fatalf("key %q trustlan %v", s.key, s.m.Engine.Config().TrustLAN)
	}
	s.user("keyuser", "keypass1", 0, 1)
	_, body := s.get("apientry", "balance", "authkey", "oldkey77", "authid", "keyuser", "authpwd", "keypass1")
	if body != "Your credit is $1" {
		t.Fatalf("balance with the httpapikey: %q", body)
	}
	for _, set := range []string{"apideftrustadmin=7", "apidefneedlogin=9", "remoteadmin=9"} {
		_, err := runCLI(t, "serve", "--db", "sqlite:"+filepath.Join(t.TempDir(), "r.db"), "--listen", "127.0.0.1:0", "--set", set)
		name, value, _ := strings.Cut(set, "=")
		if err == nil || !strings.Contains(err.Error(), name+`="`+value+`" (from --set): want 0 to`) {
			t.Fatalf("serve --set %s: %v", set, err)
		}
	}
}

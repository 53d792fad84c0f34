package engine

import (
	"fmt"
	"testing"
)

// Names whose slots collide take turns, and a lookup never returns the id
// put for another name.
func TestNameHintsCollide(t *testing.T) {
	h := newNameHints()
	// three names kept in the same pair of slots
	byPair := map[uint64][]string{}
	var names []string
	for i := 0; names == nil; i++ {
		name := fmt.Sprintf("user%d", i)
		sum, _, _ := h.slot(name)
		pair := ((sum >> 1) & (maxNameHints - 1)) >> 1
		byPair[pair] = append(byPair[pair], name)
		if len(byPair[pair]) == 3 {
			names = byPair[pair]
		}
	}
	ids := map[string]int64{names[0]: 10, names[1]: 20, names[2]: 30}
	check := func(wantKept int) {
		t.Helper()
		kept := 0
		for _, name := range names {
			id, ok := h.get(name)
			if ok && id != ids[name] {
				t.Fatalf("get(%q) = %d, the id of another name (want %d)", name, id, ids[name])
			}
			if ok {
				kept++
			}
		}
		if kept != wantKept {
			t.Fatalf("%d of %v kept, want %d", kept, names, wantKept)
		}
	}
	h.put(names[0], 10)
	h.put(names[1], 20)
	check(2)
	h.put(names[2], 30)
	if id, ok := h.get(names[2]); !ok || id != 30 {
		t.Fatalf("the name put last: get = %d, %v; want 30", id, ok)
	}
	check(2)
	h.put(names[2], 31) // the same name again takes its own slot
	ids[names[2]] = 31
	check(2)
	h.drop(names[2])
	if _, ok := h.get(names[2]); ok {
		t.Fatalf("%q kept after drop", names[2])
	}
	check(1)
	if _, ok := h.get("nobody"); ok {
		t.Fatal("a name never put has a hint")
	}
}

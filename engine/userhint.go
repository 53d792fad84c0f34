package engine

import (
	"strings"
	"sync"
	"sync/atomic"
)

// nameHints remembers, for a username a request named, the id of the row
// the lookup by name found and the username that row held. On SQLite a
// read by id is one B-tree descent where a read by username is two (the
// index, then the table), so ByUsername reads the hinted row by id and
// keeps it only when it still holds the same username: the row that the
// lookup by name would find, since usernames are unique. A row renamed or
// deleted since falls back to the lookup by name, and so does a name never
// seen: a hint is never trusted without the row that proves it, and no
// answer comes from memory.
//
// Only names of existing users are remembered, so the map grows with the
// users who authenticate, not with what a client sends; past
// maxNameHints it starts again empty.
type nameHints struct {
	m sync.Map // requested username -> nameHint
	n atomic.Int64
}

type nameHint struct {
	id       int64
	username string // as the row held it (the same bytes, or equal under the column's collation)
}

// maxNameHints bounds the map: about 100 bytes each.
const maxNameHints = 1 << 16

func (h *nameHints) get(name string) (nameHint, bool) {
	v, ok := h.m.Load(name)
	if !ok {
		return nameHint{}, false
	}
	return v.(nameHint), true
}

// put remembers that the lookup of name found the row id holding
// username. The strings are copied: a looked-up user's share the memory of
// the whole packed row.
func (h *nameHints) put(name string, id int64, username string) {
	if h.n.Add(1) > maxNameHints {
		h.m.Clear()
		h.n.Store(1)
	}
	h.m.Store(strings.Clone(name), nameHint{id: id, username: strings.Clone(username)})
}

func (h *nameHints) drop(name string) { h.m.Delete(name) }

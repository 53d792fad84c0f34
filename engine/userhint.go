package engine

import (
	"hash/maphash"
	"sync/atomic"
)

// nameHints remembers, for a username a request named, the id of the row
// the lookup by name found. On SQLite a read by id is one B-tree descent
// where a read by username is two (the index, then the table), so
// ByUsername reads the hinted row by id and keeps it only when the row
// holds exactly the username asked for: the row that the lookup by name
// would find, since usernames are unique. A row renamed or deleted since
// falls back to the lookup by name, and so does a name never seen: a hint
// is never trusted without the row that proves it, and no answer comes
// from memory.
//
// Since the row proves every hint, the table keeps no names: a slot holds
// the name's hash and an id, in memory without pointers that the garbage
// collector never scans (a sync.Map of 10,000 names was a third of the
// server's live heap and doubled its collection time). Two names whose
// slots collide take turns; a read that sees one name's hash with the
// other's id reads a row that does not hold the name, and asks by name.
// Only names of existing users are put, so the table holds the users who
// authenticate, at most maxNameHints of them, in a fixed 1 MiB.
type nameHints struct {
	seed  maphash.Seed
	slots [maxNameHints]nameSlot
}

type nameSlot struct {
	hash atomic.Uint64 // the name's hash, never 0; 0 is an empty slot
	id   atomic.Int64
}

// maxNameHints is the number of slots, a power of two: 16 bytes each.
const maxNameHints = 1 << 16

func newNameHints() *nameHints { return &nameHints{seed: maphash.MakeSeed()} }

// slot returns the name's hash and the two slots it may be kept in.
func (h *nameHints) slot(name string) (uint64, *nameSlot, *nameSlot) {
	sum := maphash.String(h.seed, name) | 1 // the low bit is always 1: the slot comes from the bits above
	i := (sum >> 1) & (maxNameHints - 1)
	return sum, &h.slots[i], &h.slots[i^1]
}

// get returns the id remembered for name, if any.
func (h *nameHints) get(name string) (int64, bool) {
	sum, a, b := h.slot(name)
	for _, s := range [2]*nameSlot{a, b} {
		if s.hash.Load() == sum {
			return s.id.Load(), true
		}
	}
	return 0, false
}

// put remembers that the lookup of name found the row id. It takes the
// slot that already holds name, or an empty one, or else the second slot.
func (h *nameHints) put(name string, id int64) {
	sum, a, b := h.slot(name)
	s := b
	if v := a.hash.Load(); v == sum || v == 0 {
		s = a
	}
	s.id.Store(id)
	s.hash.Store(sum)
}

// drop forgets name's hint, if it still has one.
func (h *nameHints) drop(name string) {
	sum, a, b := h.slot(name)
	a.hash.CompareAndSwap(sum, 0)
	b.hash.CompareAndSwap(sum, 0)
}

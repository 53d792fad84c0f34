package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/expr-lang/expr/vm"

	"mvapi/engine/format"
	"mvapi/engine/sqltemplate"
)

// req_user levels of the reference.
const (
	LevelDefault  = 0
	LevelDisabled = 2
	LevelSrvAdmin = 4
	LevelAdmins   = 6
	LevelOwners   = 8
	LevelSupport  = 10
	LevelSIPUsers = 11
	LevelAll      = 12
	LevelPublic   = 14
)

// Access is an entry's access policy, the tb_api fields of the reference.
// Inherit (-1) in ReqUserRegister and ReqUserLogin means the global default.
type Access struct {
	ReqKey          int
	ReqIP           int
	ReqUser         int
	ReqUserMode     int
	ReqUserCredit   float64
	ReqUserRegister int
	ReqUserLogin    int
}

// Inherit marks a field that takes its value from global config.
const Inherit = -1

// Default access policies of built-ins.
var (
	// UserAPI needs the api key and an authenticated user of any kind.
	UserAPI = Access{ReqKey: 1, ReqUser: LevelAll, ReqUserCredit: 1, ReqUserRegister: Inherit, ReqUserLogin: Inherit}
	// AdminAPI needs the api key and an admin (or a trusted IP, per apideftrustadmin).
	AdminAPI = Access{ReqKey: 1, ReqUser: LevelAdmins, ReqUserCredit: 1, ReqUserRegister: Inherit, ReqUserLogin: Inherit}
	// SensitiveAPI is AdminAPI from allowed IPs only (req_ip=1).
	SensitiveAPI = Access{ReqKey: 1, ReqIP: 1, ReqUser: LevelAdmins, ReqUserCredit: 1, ReqUserRegister: Inherit, ReqUserLogin: Inherit}
	// PublicAPI needs nothing; a user may still be named by authid.
	PublicAPI = Access{ReqUser: LevelPublic, ReqUserCredit: 1, ReqUserRegister: 0, ReqUserLogin: 0}
)

// Handler runs an entry for an authorised call. It answers a success or a
// client failure as a Result (OK, Shaped, Errorf, Failf), or returns an
// error: an *Error (Fail) is answered with its kind and message, any other
// error is logged once by Serve and answered with a generic text (see
// error.go). When the error is not nil the Result is ignored.
type Handler func(ctx context.Context, c *Call) (format.Result, error)

// Builtin is an entry implemented in Go, registered by the builtin package.
type Builtin struct {
	Name    string
	Access  Access
	Params  []string // documented parameter order, for param1..paramN
	Handler Handler
	// NeedsUser makes the pipeline answer "ERROR: this entry needs a user:
	// send authid" (KindInvalid) before the handler runs when the call has
	// no user (a trusted IP acting as admin, a public entry without authid).
	// The handler can then rely on c.User.
	NeedsUser bool
	Doc       string
	// Audit says when a call is written to tb_auditlog (audit.go).
	Audit AuditMode
}

// Registry holds the built-in entries by name.
type Registry struct {
	byName map[string]*Builtin
	// readsUser are the built-ins that read fields of c.User beyond the
	// lean ones authentication loads (see ReadsUser).
	readsUser map[string]bool
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{byName: map[string]*Builtin{}} }

// Add registers a built-in. A duplicate or unnamed entry is a programming
// error and panics.
func (r *Registry) Add(b Builtin) {
	name := strings.ToLower(b.Name)
	if name == "" || b.Handler == nil {
		panic("engine: built-in needs a name and a handler")
	}
	if _, dup := r.byName[name]; dup {
		panic("engine: built-in registered twice: " + name)
	}
	b.Name = name
	r.byName[name] = &b
}

// Lookup returns the built-in called name.
func (r *Registry) Lookup(name string) (*Builtin, bool) {
	b, ok := r.byName[name]
	return b, ok
}

// ReadsUser marks built-ins whose handlers read fields of c.User that
// authentication does not load (Name, Email, Phone, Country, Address,
// Status, StatusDate, IP, ParentID, or User.Field): the pipeline reads the
// rest of the user once before they run. Other built-ins see only ID,
// Type, Username, Password, PIN, Enabled, TemporaryDisabled, Credit,
// Postpaid and Currency.
func (r *Registry) ReadsUser(names ...string) {
	if r.readsUser == nil {
		r.readsUser = map[string]bool{}
	}
	for _, n := range names {
		r.readsUser[strings.ToLower(n)] = true
	}
}

// Names lists the built-ins, sorted.
func (r *Registry) Names() []string {
	out := make([]string, 0, len(r.byName))
	for k := range r.byName {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Entry is one compiled API entry of the rule table. It is immutable.
type Entry struct {
	Name        string
	Access      Access
	Enabled     bool
	Params      []string
	Handler     Handler
	NeedsUser   bool                  // the built-in handler needs c.User (Builtin.NeedsUser)
	SQL         *sqltemplate.Template // set when customsql drives the entry
	Rule        *vm.Program
	OnSuccess   Action
	OnFailure   Action
	Builtin     bool
	RowID       int64 // tb_api.id, 0 for a built-in without a row
	Description string
	// ReadOnly marks a customsql row whose tb_api.readonly is 1: its one
	// SELECT runs on the read replica while one is in use (replica.go).
	ReadOnly bool
	// Misconfigured marks the entry of a tb_api row that did not compile
	// when the server started: it answers "ERROR: apientry NAME is not
	// available (misconfigured)" (KindUnavailable) to every caller.
	Misconfigured bool
	fingerprint   string
	// restUser: the entry reads more of the user than authentication
	// loads (a {field}, a rule, an action body, a built-in marked with
	// Registry.ReadsUser).
	restUser bool
	// sqlStmt is the prepared customsql of an entry that returns rows.
	sqlStmt *entryStmt
}

// Table is an immutable rule table: every entry by lower-case name.
type Table struct {
	// entries, with over on top, are the entries by name. A table an
	// incremental reload built shares entries with the table before it
	// and holds what changed in over (a nil entry: the name is gone), so
	// that a reload of one row of 10,000 copies no map of 10,000; past
	// maxOverlay names the two are merged into one map again
	// (overlay.build). Neither map is written to once the table is built.
	entries map[string]*Entry
	over    map[string]*Entry
	n       int // the number of entries (with over; else len(entries))
	// cfg is the config the table was compiled under.
	cfg *Config
	// bad lists the rows that did not compile (a table a server started
	// with; a reload never installs a table with bad rows).
	bad []*RowError
	// rows are the tb_api rows the table was compiled from, for the next
	// reload (loadRowsCached); nil when the dialect has no row marker.
	rows atomic.Pointer[rowCache]
	// gen numbers the table (nextTableGen). base is the gen of the table
	// an incremental reload built it from (compileIncremental), 0 for a
	// full compile; touched then lists, sorted, the only names whose
	// entries may differ from that table's (diffTables, closeReplaced).
	gen, base uint64
	touched   []string
}

// Bad lists the tb_api rows that did not compile into this table; their
// entries are Misconfigured. Empty but for a table a server started with.
func (t *Table) Bad() []*RowError { return append([]*RowError(nil), t.bad...) }

// Lookup returns the entry called name (lower case).
func (t *Table) Lookup(name string) (*Entry, bool) {
	if t.over != nil {
		if e, ok := t.over[name]; ok {
			return e, e != nil
		}
	}
	e, ok := t.entries[name]
	return e, ok
}

// Len is the number of entries.
func (t *Table) Len() int {
	if t.over != nil {
		return t.n
	}
	return len(t.entries)
}

// holds reports whether t's entry called name is e.
func (t *Table) holds(name string, e *Entry) bool {
	cur, _ := t.Lookup(name)
	return cur == e
}

// all yields every entry with its name, in no order.
func (t *Table) all(yield func(string, *Entry) bool) {
	for name, e := range t.over {
		if e != nil && !yield(name, e) {
			return
		}
	}
	for name, e := range t.entries {
		if _, shadowed := t.over[name]; !shadowed && !yield(name, e) {
			return
		}
	}
}

// Entries returns the entries sorted by name.
func (t *Table) Entries() []*Entry {
	out := make([]*Entry, 0, t.Len())
	for _, e := range t.all {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Diff describes what changed between two tables.
type Diff struct {
	Added, Changed, Removed []string
	Total                   int
}

// Empty reports whether nothing changed.
func (d Diff) Empty() bool { return len(d.Added)+len(d.Changed)+len(d.Removed) == 0 }

func (d Diff) String() string {
	if d.Empty() {
		return fmt.Sprintf("%d entries, no changes", d.Total)
	}
	var parts []string
	for _, p := range []struct {
		label string
		names []string
	}{{"added", d.Added}, {"changed", d.Changed}, {"removed", d.Removed}} {
		if len(p.names) > 0 {
			parts = append(parts, p.label+": "+strings.Join(p.names, ", "))
		}
	}
	return fmt.Sprintf("%d entries; %s", d.Total, strings.Join(parts, "; "))
}

// diffTables says what changed from old to cur: from the names cur
// touched when it was built incrementally from old, else name by name.
func diffTables(old, cur *Table) Diff {
	if builtFrom(cur, old) {
		return diffTouched(old, cur)
	}
	return diffAll(old, cur)
}

// diffAll is diffTables name by name.
func diffAll(old, cur *Table) Diff {
	d := Diff{Total: cur.Len()}
	for name, e := range cur.all {
		if o, ok := old.Lookup(name); !ok {
			d.Added = append(d.Added, name)
		} else if o != e && o.fingerprint != e.fingerprint {
			d.Changed = append(d.Changed, name)
		}
	}
	// Every name of cur is in old: with as many names, none was removed.
	if len(d.Added) > 0 || old.Len() != cur.Len() {
		for name := range old.all {
			if _, ok := cur.Lookup(name); !ok {
				d.Removed = append(d.Removed, name)
			}
		}
	}
	sort.Strings(d.Added)
	sort.Strings(d.Changed)
	sort.Strings(d.Removed)
	return d
}

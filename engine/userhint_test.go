package engine_test

import (
	"context"
	"testing"

	"mvapi/engine"
	"mvapi/internal/mvtest"
	"mvapi/schema"
)

// A lookup by username reads the row by id where it remembered one (on
// SQLite, userhint.go), and answers what the lookup by name would: the
// row's current values, nobody after a rename or a delete, the new row of
// a name taken again.
func TestUsernameLookupFollowsRenames(t *testing.T) {
	mvtest.ForEachDB(t, func(t *testing.T, dsn string) {
		db := mvtest.MustOpen(t, dsn)
		e := mvtest.MustEngine(t, db, nil)
		ctx := context.Background()
		hints := db.Dialect == schema.SQLite
		lookup := func(name string) *engine.User {
			t.Helper()
			u, err := e.LeanUserBy(ctx, "username", name)
			if err != nil {
				t.Fatalf("lookup %q: %v", name, err)
			}
			return u
		}
		wantUser := func(name string, id int64, password string) {
			t.Helper()
			u := lookup(name)
			if u == nil || u.ID != id || u.Username != name || u.Password != password {
				t.Fatalf("lookup %q = %+v, want id %d with password %q", name, u, id, password)
			}
			if got, ok := e.NameHint(name); hints && (!ok || got != id) {
				t.Fatalf("hint of %q = %d, %v; want %d", name, got, ok, id)
			}
		}
		wantNobody := func(name string) {
			t.Helper()
			if u := lookup(name); u != nil {
				t.Fatalf("lookup %q = %+v, want nobody", name, u)
			}
			if _, ok := e.NameHint(name); ok {
				t.Fatalf("%q still has a hint", name)
			}
		}
		exec := func(q string, args ...any) { t.Helper(); mvtest.MustExec(t, db, db.Dialect.Rebind(q), args...) }

		ann := mvtest.MustUser(t, db, engine.NewUser{Username: "ann", Password: "annpass1"})
		bob := mvtest.MustUser(t, db, engine.NewUser{Username: "bob", Password: "bobpass1"})
		wantUser("ann", ann, "annpass1")
		wantUser("bob", bob, "bobpass1")

		exec("UPDATE tb_users SET password = ? WHERE id = ?", "changed1", ann)
		wantUser("ann", ann, "changed1") // read from the row, not remembered

		// swap the two names: each hint now points at the other's row
		exec("UPDATE tb_users SET username = ? WHERE id = ?", "tmp", ann)
		exec("UPDATE tb_users SET username = ? WHERE id = ?", "ann", bob)
		exec("UPDATE tb_users SET username = ? WHERE id = ?", "bob", ann)
		wantUser("ann", bob, "bobpass1")
		wantUser("bob", ann, "changed1")

		exec("UPDATE tb_users SET username = ? WHERE id = ?", "carol", bob)
		wantNobody("ann")
		wantUser("carol", bob, "bobpass1")

		ann2 := mvtest.MustUser(t, db, engine.NewUser{Username: "ann", Password: "newann11"})
		wantUser("ann", ann2, "newann11")
		exec("DELETE FROM tb_users WHERE id = ?", ann2)
		wantNobody("ann")
		wantNobody("nobody")
	})
}

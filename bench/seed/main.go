// Command seed fills an already migrated mvapi database with the users the
// HTTP benchmarks ask for and prints the api key:
//
//	mvapi migrate --db DSN
//	seed -db PATH -users 10000      (SQLite file)
//	seed -dsn DSN -users 10000      (sqlite:PATH or postgres://...)
//
// Users are bench00001..benchNNNNN with password "pw" + username and credit
// 10, inserted in one transaction; existing ones are left alone. The api
// key is tb_globalconfig's apiv2key; "benchkey123" is stored when there is
// none (mvapi serve then keeps it instead of making a random one).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"mvapi/schema"
)

// benchKey is stored as apiv2key when the database has no key yet.
const benchKey = "benchkey123"

func main() {
	dbPath := flag.String("db", "", "SQLite file, migrated with `mvapi migrate --db sqlite:PATH`")
	dsn := flag.String("dsn", "", "database DSN instead of -db (sqlite:PATH or postgres://...)")
	users := flag.Int("users", 10000, "number of users bench00001.. to create")
	flag.Parse()
	if *dsn == "" && *dbPath != "" {
		*dsn = "sqlite:" + *dbPath
	}
	if *dsn == "" || *users < 1 || *users > 99999 {
		fmt.Fprintln(os.Stderr, "seed: -db PATH or -dsn DSN is required and -users must be 1..99999")
		os.Exit(2)
	}
	key, added, err := seed(context.Background(), *dsn, *users)
	if err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "seed: %d user(s) added, %d wanted\n", added, *users)
	fmt.Println(key)
}

func seed(ctx context.Context, dsn string, users int) (key string, added int64, err error) {
	db, err := schema.Open(ctx, dsn)
	if err != nil {
		return "", 0, err
	}
	defer db.Close()
	var n int
	if err := db.GetContext(ctx, &n, "SELECT COUNT(*) FROM tb_globalconfig"); err != nil {
		return "", 0, fmt.Errorf("%s is not migrated (run `mvapi migrate --db %s` first): %w", db.DSN, db.DSN, err)
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return "", 0, err
	}
	defer tx.Rollback()
	st, err := tx.PreparexContext(ctx, db.Dialect.Rebind(`INSERT INTO tb_users (type, username, password, credit)
 VALUES (0, ?, ?, 10) ON CONFLICT (username) DO NOTHING`))
	if err != nil {
		return "", 0, err
	}
	defer st.Close()
	for i := 1; i <= users; i++ {
		name := fmt.Sprintf("bench%05d", i)
		res, err := st.ExecContext(ctx, name, "pw"+name)
		if err != nil {
			return "", 0, fmt.Errorf("insert %s: %w", name, err)
		}
		n, _ := res.RowsAffected()
		added += n
	}
	if _, err := tx.ExecContext(ctx, db.Dialect.Rebind(
		"INSERT INTO tb_globalconfig (name, value) VALUES ('apiv2key', ?) ON CONFLICT (name) DO NOTHING"), benchKey); err != nil {
		return "", 0, err
	}
	if err := tx.GetContext(ctx, &key, "SELECT value FROM tb_globalconfig WHERE name = 'apiv2key'"); err != nil {
		return "", 0, err
	}
	if err := tx.Commit(); err != nil {
		return "", 0, err
	}
	return key, added, nil
}

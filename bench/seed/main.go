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
	"bufio"
	"context"
	"crypto/md5"
	"encoding/hex"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"

	"mvapi/schema"
)

// benchKey is stored as apiv2key when the database has no key yet.
const benchKey = "benchkey123"

func main() {
	dbPath := flag.String("db", "", "SQLite file, migrated with `mvapi migrate --db sqlite:PATH`")
	dsn := flag.String("dsn", "", "database DSN instead of -db (sqlite:PATH or postgres://...)")
	users := flag.Int("users", 10000, "number of users bench00001.. to create")
	rules := flag.Int("rules", 0, "also add this many customsql rows benchrule00001.. to tb_api")
	paths := flag.String("paths", "", "write request paths (one a line) for bench/balance.lua to this file instead of seeding")
	auth := flag.String("auth", "pwd", "with -paths: pwd (authpwd) or md5 (authmd5, the ck5Gp formula, a fresh authsalt each line)")
	entry := flag.String("entry", "balance", "with -paths: the apientry")
	n := flag.Int("n", 50000, "with -paths: how many lines")
	key := flag.String("key", benchKey, "with -paths: the api key")
	flag.Parse()
	if *paths != "" {
		if err := writePaths(*paths, *auth, *entry, *key, *users, *n); err != nil {
			fmt.Fprintln(os.Stderr, "seed:", err)
			os.Exit(1)
		}
		return
	}
	if *dsn == "" && *dbPath != "" {
		*dsn = "sqlite:" + *dbPath
	}
	if *dsn == "" || *users < 1 || *users > 99999 {
		fmt.Fprintln(os.Stderr, "seed: -db PATH or -dsn DSN is required and -users must be 1..99999")
		os.Exit(2)
	}
	k, added, err := seed(context.Background(), *dsn, *users, *rules)
	if err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "seed: %d user(s) added, %d wanted\n", added, *users)
	fmt.Println(k)
}

// writePaths writes n request paths for random users; md5 lines each get
// their own authsalt, as the WebPhone sends them.
func writePaths(file, auth, entry, key string, users, n int) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	rng := rand.New(rand.NewPCG(7, 11))
	for i := range n {
		u := fmt.Sprintf("bench%05d", 1+rng.IntN(users))
		fmt.Fprintf(w, "/mvapireq/?apientry=%s&authkey=%s&authid=%s", entry, key, u)
		if auth == "md5" {
			salt := strconv.Itoa(100000 + i%900000)
			sum := md5.Sum([]byte("ck5Gp" + u + "pw" + u + salt))
			fmt.Fprintf(w, "&authsalt=%s&authmd5=%s\n", salt, hex.EncodeToString(sum[:]))
		} else {
			fmt.Fprintf(w, "&authpwd=pw%s\n", u)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func seed(ctx context.Context, dsn string, users, rules int) (key string, added int64, err error) {
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
	for i := 1; i <= rules; i++ {
		if _, err := tx.ExecContext(ctx, db.Dialect.Rebind("INSERT INTO tb_api (fname, customsql) VALUES (?, ?)"),
			fmt.Sprintf("benchrule%05d", i), fmt.Sprintf("SELECT credit, currency FROM tb_users WHERE id = [USERID] AND %d > 0", i)); err != nil {
			return "", 0, fmt.Errorf("insert rule %d: %w", i, err)
		}
	}
	// mycredit is the customsql entry the benchmark compares with balance.
	if _, err := tx.ExecContext(ctx, db.Dialect.Rebind(`INSERT INTO tb_api (fname, customsql)
 SELECT 'mycredit', 'SELECT credit, currency FROM tb_users WHERE id = [USERID]' WHERE NOT EXISTS (SELECT 1 FROM tb_api WHERE fname = 'mycredit')`)); err != nil {
		return "", 0, err
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

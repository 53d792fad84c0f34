package schema

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

//go:embed migrations
var migrations embed.FS

// Migrate brings the database schema up to date with the migrations embedded
// for its dialect and reports how many were applied. It is safe to call on
// every start. goose keeps its version table (goose_db_version) beside ours.
func Migrate(ctx context.Context, db *DB) (applied int, err error) {
	p, err := provider(db)
	if err != nil {
		return 0, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("migrate %s: %w", db.Dialect.Name, err)
	}
	return len(res), nil
}

// MigrationStatus lists each migration with whether it has been applied.
func MigrationStatus(ctx context.Context, db *DB) ([]string, error) {
	p, err := provider(db)
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	out := make([]string, 0, len(st))
	for _, s := range st {
		out = append(out, fmt.Sprintf("%05d %-30s %s", s.Source.Version, s.Source.Path, s.State))
	}
	return out, nil
}

func provider(db *DB) (*goose.Provider, error) {
	if db.Dialect.goose == "" {
		return nil, fmt.Errorf("migrate: dialect %q has no migrations", db.Dialect.Name)
	}
	sub, err := fs.Sub(migrations, "migrations/"+db.Dialect.Name)
	if err != nil {
		return nil, fmt.Errorf("migrate: no migrations for %s: %w", db.Dialect.Name, err)
	}
	// Issues add migrations in parallel: a database may have applied a later
	// number before an earlier one lands, so out-of-order is allowed.
	p, err := goose.NewProvider(db.Dialect.goose, db.DB.DB, sub, goose.WithAllowOutofOrder(true))
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return p, nil
}

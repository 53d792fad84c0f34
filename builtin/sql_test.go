package builtin

import (
	"testing"

	"mvapi/schema"
)

// TestRatingSQL pins the statement rating sends to each dialect.
func TestRatingSQL(t *testing.T) {
	for _, c := range []struct {
		d    schema.Dialect
		want string
	}{
		{schema.SQLite, "SELECT destination, price, currency FROM tb_rates WHERE prefix IN (?, ?, ?) ORDER BY LENGTH(prefix) DESC LIMIT 1"},
		{schema.Postgres, "SELECT destination, price, currency FROM tb_rates WHERE prefix IN ($1, $2, $3) ORDER BY LENGTH(prefix) DESC LIMIT 1"},
		{schema.SQLServer, "SELECT TOP 1 destination, price, currency FROM tb_rates WHERE prefix IN (@p1, @p2, @p3) ORDER BY LEN(prefix) DESC"},
	} {
		if got := ratingSQL(c.d, 3); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.d.Name, got, c.want)
		}
	}
}

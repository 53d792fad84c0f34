package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"

	"mvapi/schema"
)

// NewUser is an account to create.
type NewUser struct {
	Type                                      int
	Username, Password, Name, Email, Phone    string
	Currency, Country, Address, DeviceID, PIN string
	Credit                                    float64
}

// ErrUserExists is returned by CreateUser for a taken username.
var ErrUserExists = errors.New("username already exists")

var usernameRE = regexp.MustCompile(`^[A-Za-z0-9_.@+-]{3,64}$`)

// Validate checks the username and password rules: usernames of 3 to 64
// letters, digits or _ . @ + -; passwords of 6 to 64 characters without
// spaces or control characters.
func (n *NewUser) Validate() error {
	if !usernameRE.MatchString(n.Username) {
		return errors.New("invalid username: use 3 to 64 letters, digits or _ . @ + -")
	}
	if len(n.Password) < 6 || len(n.Password) > 64 {
		return errors.New("invalid password: use 6 to 64 characters")
	}
	for _, r := range n.Password {
		if r <= ' ' || r == 0x7f {
			return errors.New("invalid password: no spaces or control characters")
		}
	}
	if n.Credit < 0 || math.IsNaN(n.Credit) || math.IsInf(n.Credit, 0) {
		return errors.New("invalid credit: must be a number, not negative")
	}
	if len(n.Name) > 128 || len(n.Email) > 128 || len(n.Phone) > 64 || len(n.Address) > 256 ||
		len(n.Country) > 64 || len(n.Currency) > 8 || len(n.DeviceID) > 128 {
		return errors.New("a field is too long")
	}
	return nil
}

// CreateUser validates and inserts a user and returns its id.
func CreateUser(ctx context.Context, db *schema.DB, n NewUser) (int64, error) {
	if err := n.Validate(); err != nil {
		return 0, err
	}
	if n.Currency == "" {
		n.Currency = "USD"
	}
	var pin any
	if n.PIN != "" {
		pin = n.PIN
	}
	var id int64
	err := db.QueryRowxContext(ctx, createUserSQL(db.Dialect), n.Type, n.Username, n.Password, n.Name, n.Email, n.Phone, strings.ToUpper(n.Currency),
		n.Country, n.Address, n.Credit, n.DeviceID, pin).Scan(&id)
	if err != nil {
		if schema.IsUniqueViolation(err) {
			return 0, ErrUserExists
		}
		return 0, fmt.Errorf("create user %q: %w", n.Username, err)
	}
	return id, nil
}

var createUserSQL = schema.StatementFunc(func(d schema.Dialect) string {
	return d.ReturningID(`INSERT INTO tb_users
 (type, username, password, name, email, phone, currency, country, address, credit, deviceid, pin)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
})

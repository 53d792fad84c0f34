package engine

import (
	"errors"
	"testing"
)

func TestUnpackLean(t *testing.T) {
	for _, c := range []struct {
		name, packed string
		want         User
		err          bool
	}{
		{"plain", "42,0,1,0,0,3,6,0,annsecretUSD", User{ID: 42, Enabled: 1, Username: "ann", Password: "secret", Currency: "USD"}, false},
		{"commas and utf-8", "7,4,1,2,-1,1,4,3,a,ü,,9,€", User{ID: 7, Type: 4, Enabled: 1, TemporaryDisabled: 2, Postpaid: -1,
			Username: "a", Password: ",ü,", PIN: ",9,", Currency: "€"}, false},
		{"empty currency", "1,0,1,0,0,1,1,1,abc", User{ID: 1, Enabled: 1, Username: "a", Password: "b", PIN: "c"}, false},
		{"too few fields", "1,0,1,0,0,1,1", User{}, true},
		{"fraction in an integer column", "1,1.5,1,0,0,1,1,0,ab", User{}, true},
		{"lengths past the end", "1,0,1,0,0,5,5,5,abc", User{}, true},
		{"negative length", "1,0,1,0,0,-1,1,0,ab", User{}, true},
		{"empty", "", User{}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var u User
			err := unpackLean(c.packed, &u)
			if c.err {
				if !errors.Is(err, errPacked) {
					t.Fatalf("unpackLean(%q) = %v, want a malformed-row error", c.packed, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unpackLean(%q): %v", c.packed, err)
			}
			if u != c.want {
				t.Errorf("unpackLean(%q) = %+v, want %+v", c.packed, u, c.want)
			}
		})
	}
}

package engine

import (
	"context"
	"strings"
)

// Switch is a SIP switch whose registrations the registration entries
// read (package switchboard has Kamailio's). The switch option names the
// one in use; with "none" (the default) Engine.Switch returns nil and the
// entries keep their database-only answers.
type Switch interface {
	// Contacts returns the current registrations of user, or of every
	// user when user is "". A user without any has none (no error).
	Contacts(ctx context.Context, cfg *Config, user string) ([]Contact, error)
	// Unregister removes the registrations of user (of every user when
	// user is ""; only the contacts received from ip when ip is set) and
	// marks the users whose last contact went offline; it returns the
	// contacts removed.
	Unregister(ctx context.Context, cfg *Config, user, ip string) (int, error)
}

// Contact is one registration held by the switch.
type Contact struct {
	User      string
	Address   string // the Contact URI the phone registered
	Received  string // where the REGISTER came from (sip:IP:PORT;transport=...)
	UserAgent string
	Expires   int // seconds left
	CallID    string
}

// Switch returns the switch cfg's switch option names, or nil for none
// (or a name this server was not built with: the option's Choices keep it
// to known ones).
func (e *Engine) Switch(cfg *Config) Switch {
	name := strings.ToLower(strings.TrimSpace(cfg.Get("switch")))
	if name == "" || name == "none" {
		return nil
	}
	return e.switches[name]
}

package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"

	"mvapi/engine"
)

// precheck validates what can be validated before the database is opened,
// so that a bad --set value or a port in use fails before a SQLite file is
// created or migrated: the options given by --set and MVAPI_<NAME> parse as
// their types, and the addresses of --listen, --tls and --console (and,
// for a SQLite file that does not exist yet, the default ports it would
// get) are free. A port is probed by listening and closing at once: one
// taken in between still fails at Start, only later.
func (m *Main) precheck(ctx context.Context) error {
	cfg, err := engine.LoadConfig(ctx, nil, m.Sets)
	if err != nil {
		return err
	}
	addrs := []string{m.Listen, m.TLSListen, m.ConsoleListen}
	if path, ok := strings.CutPrefix(m.DSN, "sqlite:"); ok && m.Listen == "" && cfg.Int("usemainaport") != 0 {
		if _, err := os.Stat(path); os.IsNotExist(err) {
			addrs = append(addrs, fmt.Sprintf(":%d", cfg.Int("mainaport")))
		}
	}
	for _, a := range addrs {
		if a == "" {
			continue
		}
		if _, port, err := net.SplitHostPort(a); err != nil {
			return fmt.Errorf("address %q: %w", a, err)
		} else if port == "0" || port == "" {
			continue
		}
		l, err := net.Listen("tcp", a)
		if err != nil {
			return fmt.Errorf("listen %s: %w (nothing was created)", a, err)
		}
		l.Close()
	}
	return nil
}

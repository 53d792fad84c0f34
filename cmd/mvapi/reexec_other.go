//go:build !unix

package main

import "errors"

// reexec is not available here; the caller exits with ExitRestart instead.
func reexec(string, []string, []string) error {
	return errors.New("re-exec is not supported on this system; use restartmode=exit with a service manager")
}

package main

import (
	"fmt"
	"os"
	"strings"
)

// ExitRestart is the exit status of a graceful restart with
// restartmode=exit: a supervisor (systemd Restart=on-failure or
// RestartForceExitStatus=75, Docker restart policies) starts mvapi again.
// It is EX_TEMPFAIL of sysexits.h.
const ExitRestart = 75

// restartError is returned by a server that stopped for a restart.
type restartError struct {
	reason string
	mode   string
}

func (e *restartError) Error() string { return "restart requested: " + e.reason }

// restartProcess runs after the server has shut down gracefully: it replaces
// the process with a fresh copy of the binary (restartmode=reexec; same
// pid, arguments and environment), or exits with ExitRestart.
func restartProcess(re *restartError) error {
	if strings.EqualFold(re.mode, "exit") {
		fmt.Fprintf(os.Stderr, "mvapi: restart requested (%s): exiting with status %d for the supervisor\n", re.reason, ExitRestart)
		os.Exit(ExitRestart)
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("restart: cannot find the binary: %w", err)
	}
	fmt.Fprintf(os.Stderr, "mvapi: restart requested (%s): re-executing %s\n", re.reason, exe)
	if err := reexec(exe, os.Args, os.Environ()); err != nil {
		fmt.Fprintf(os.Stderr, "mvapi: re-exec failed (%v): exiting with status %d\n", err, ExitRestart)
		os.Exit(ExitRestart)
	}
	return nil
}

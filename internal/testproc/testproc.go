// Package testproc runs the test binary again as a child process, for tests
// that kill a process in the middle of its work: the child's TestMain sees the
// environment variable and does the work instead of running tests.
package testproc

import (
	"bufio"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// RunChild is called first in TestMain: in a child started by Start with env
// set, it runs child with env's value and exits with its status; otherwise it
// returns and the tests run.
func RunChild(env string, child func(value string) int) {
	if value := os.Getenv(env); value != "" {
		os.Exit(child(value))
	}
}

// Start runs the current test binary again, running no tests, with env=value
// in its environment, and returns it with a scanner over its standard output.
func Start(t testing.TB, env, value string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env+"="+value)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, bufio.NewScanner(stdout)
}

// Kill kills the child with SIGKILL, as a crash would, and waits for it.
func Kill(t testing.TB, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait() // "signal: killed"
}

// Command statectl reads statekit checkpoint files from the shell, without
// the process that wrote them:
//
//	statectl ls DIR                          list checkpoints: ID, created, entries, size, status
//	statectl verify FILE|DIR                 exit 0 when every checkpoint is valid, 1 otherwise
//	statectl info FILE                       header, trailer, entries and bytes per key prefix
//	statectl dump FILE [-prefix P] [-limit N] [-json]
//	statectl diff A B                        keys added, removed, changed per prefix
//	statectl restore FILE -to badger:DIR     offline restore into a Badger directory
//
// Install it as a tool of your module with
//
//	go get -tool github.com/statekit/statekit/cmd/statectl
//	go tool statectl ls ./checkpoints
//
// or run it with go run github.com/statekit/statekit/cmd/statectl. Errors are
// one line naming the file and the problem; a bad command line exits 2.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/statekit/statekit/internal/statectl"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := statectl.Run(ctx, os.Args[1:], statectl.Env{
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
		StderrTTY: isTerminal(os.Stderr),
	})
	stop()
	os.Exit(code)
}

// isTerminal reports whether f is a character device, as a terminal is.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

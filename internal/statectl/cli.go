// Package statectl is the statectl command: checkpoint files read from the
// shell, without the process that wrote them. cmd/statectl is its main; the
// commands live here so that they can be tested as functions too.
package statectl

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/runtime"
)

// Exit codes.
const (
	ExitOK    = 0 // success; for verify, every file valid; for diff, no difference
	ExitFail  = 1 // a file is bad or an operation failed; for diff, the files differ
	ExitUsage = 2 // bad command line; for diff, also any failure (as diff(1))
)

// Env is what one run of statectl talks to.
type Env struct {
	Stdout, Stderr io.Writer
	// StderrTTY says stderr is a terminal: restore then draws a progress bar
	// there instead of printing periodic lines.
	StderrTTY bool
}

const usageText = `usage: statectl <command> [flags] [args]

commands:
  ls DIR                  one line per checkpoint in DIR: ID, created, entries, size, status
                          (-json: a JSON array)
  verify FILE|DIR         read every entry and check every checksum; exit 0 when all are
                          valid, 1 otherwise, naming each bad file and why
  info FILE               header, trailer, and entries and bytes per key prefix
  dump FILE               entries: keys decoded, values as CBOR diagnostic notation
                          [-prefix P] [-limit N] [-json: one JSON object per line]
  diff A B                keys added, removed and changed per prefix, with samples
                          [-samples N]; exit 0 same, 1 different, 2 trouble
  restore FILE -to badger:DIR
                          restore a checkpoint into a Badger directory, offline
                          [-force] [-progress 1s]

Run 'statectl <command> -h' for a command's flags.
`

// command is one subcommand: it returns nil, or an error that says how to exit.
type command func(ctx context.Context, env Env, args []string) error

var commands = map[string]command{
	"ls":      cmdLs,
	"verify":  cmdVerify,
	"info":    cmdInfo,
	"dump":    cmdDump,
	"diff":    cmdDiff,
	"restore": cmdRestore,
}

// Run runs statectl with args (without the program name) and returns the exit
// code. Errors are printed to env.Stderr, one line each, naming the file and
// the problem.
func Run(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usageText)
		return ExitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(env.Stdout, usageText)
		return ExitOK
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(env.Stderr, "statectl: unknown command %q\n%s", name, usageText)
		return ExitUsage
	}
	err := cmd(ctx, env, args[1:])
	var ue *usageError
	var ee *exitError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "statectl %s: %s\nusage: statectl %s\n", name, ue.msg, ue.usage)
		return ExitUsage
	case errors.As(err, &ee):
		if ee.err != nil {
			fmt.Fprintf(env.Stderr, "statectl %s: %s\n", name, oneLine(ee.err.Error()))
		}
		return ee.code
	default:
		fmt.Fprintf(env.Stderr, "statectl %s: %s\n", name, oneLine(err.Error()))
		return ExitFail
	}
}

// usageError is a bad command line: exit 2 with the command's usage.
type usageError struct{ msg, usage string }

func (e *usageError) Error() string { return e.msg }

// exitError exits with code after printing err (if not nil).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// oneLine keeps an error message on one line.
func oneLine(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", `\n`) }

// flags is a command's flag set with its usage line.
type flags struct {
	*flag.FlagSet
	usage string
	out   io.Writer
}

func newFlags(name, usage string, env Env) *flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported by Run, on one line
	return &flags{FlagSet: fs, usage: usage, out: env.Stdout}
}

// parse parses args, flags before and after positional arguments alike
// ("restore FILE -to badger:DIR"), and checks the number of positional
// arguments.
func (f *flags) parse(args []string, want int) ([]string, error) {
	var pos []string
	for {
		if err := f.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprintf(f.out, "usage: statectl %s\n", f.usage)
				f.SetOutput(f.out)
				f.PrintDefaults()
				return nil, err
			}
			return nil, f.fail("%v", err)
		}
		if f.NArg() == 0 {
			break
		}
		pos = append(pos, f.Arg(0))
		args = f.Args()[1:]
	}
	if len(pos) != want {
		return nil, f.fail("want %d argument(s), got %d", want, len(pos))
	}
	return pos, nil
}

func (f *flags) fail(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), usage: f.usage}
}

// Status words of a checkpoint file.
const (
	statusValid       = "valid"
	statusCorrupt     = "corrupt"
	statusUnsupported = "unsupported version"
	statusUnreadable  = "unreadable"
	// statusInterrupted is not a property of the file: the user (or a
	// deadline) stopped the command while it read it.
	statusInterrupted = "interrupted"
)

// classify names what is wrong with a checkpoint file. A newer format version
// is not corrupt, whatever else the error wraps, so it is checked first.
func classify(err error) string {
	switch {
	case err == nil:
		return statusValid
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return statusInterrupted
	case errors.Is(err, checkpoint.ErrUnsupportedVersion):
		return statusUnsupported
	case errors.Is(err, runtime.ErrCorrupt):
		return statusCorrupt
	default:
		return statusUnreadable
	}
}

// fileError is a problem with one file, as printed: "PATH: corrupt: why".
type fileError struct {
	path string
	err  error
}

func (e *fileError) Error() string {
	return e.path + ": " + classify(e.err) + ": " + reason(e.err, e.path)
}

func (e *fileError) Unwrap() error { return e.err }

// reason is err's message without the "checkpoint PATH: " the checkpoint
// package puts in front, since the caller names the file itself.
// A classified error also drops the sentinel's text that the class repeats.
func reason(err error, path string) string {
	s := strings.TrimPrefix(err.Error(), "checkpoint "+path+": ")
	return strings.TrimPrefix(s, runtime.ErrCorrupt.Error()+": ")
}

// checkpointFiles returns the *.ckpt entries in dir, sorted by name (for
// IDs: by creation). Temporary files a crash left (*.ckpt.tmp-*) are not
// checkpoints. Entries that are not regular files (a dangling link, a
// directory, a FIFO) are returned too: reading them fails, and the caller
// names them as bad rather than pass over them in silence.
func checkpointFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".ckpt") {
			continue
		}
		paths = append(paths, filepath.Join(dir, e.Name()))
	}
	slices.Sort(paths)
	return paths, nil
}

// human formats a byte count in binary units: "512 B", "20.1 KiB".
func human(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, i := float64(n)/unit, 0
	for f >= unit && i < 5 {
		f /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", f, "KMGTPE"[i])
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

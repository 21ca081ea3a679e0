package opsattack_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/memory"
)

// A damaged checkpoint dumped with -limit: the damaged records are printed as
// if valid and the exit code is 0, because the checksum is only checked at the
// end of Entries, which -limit never reaches.
func TestDumpRefusesACorruptCheckpoint(t *testing.T) {
	dir := t.TempDir()
	p := makeCheckpoint(t, dir, false, simple(50))
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[40] ^= 0x01 // inside the first record's key
	bad := filepath.Join(t.TempDir(), "bad.ckpt")
	if err := os.WriteFile(bad, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if r := statectl(t, "verify", bad); r.code != 1 {
		t.Fatalf("precondition: verify exit %d, want 1", r.code)
	}
	r := statectl(t, "dump", "-limit", "2", bad)
	if r.code == 0 {
		t.Errorf("dump -limit 2 of a checkpoint whose checksum fails: exit 0, stderr %q; printed as valid:\n%s", r.stderr, r.stdout)
	}
	r = statectl(t, "dump", "-json", "-limit", "1", bad)
	if r.code == 0 {
		t.Errorf("dump -json -limit 1 of a corrupt checkpoint: exit 0; printed:\n%s", r.stdout)
	}
}

func dumpJSON(t *testing.T, fill func(ctx context.Context, b *memory.Backend)) []map[string]any {
	t.Helper()
	p := makeCheckpoint(t, t.TempDir(), true, fill)
	r := statectl(t, "dump", "-json", p)
	if r.code != 0 {
		t.Fatalf("dump -json: exit %d: %s", r.code, r.stderr)
	}
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		m["_line"] = sc.Text()
		out = append(out, m)
	}
	return out
}

// A CBOR map with byte-string keys {h'ff': 1, h'fe': 2}: dump -json writes
// an object with the key "\ufffd" twice, so any JSON reader keeps one value
// and loses the other.
func TestDumpJSONKeepsByteStringMapKeysApart(t *testing.T) {
	lines := dumpJSON(t, func(ctx context.Context, b *memory.Backend) {
		put(t, b, []byte("v/bytekeys"), []byte{0xa2, 0x41, 0xff, 0x01, 0x41, 0xfe, 0x02})
	})
	if len(lines) != 1 {
		t.Fatalf("%d lines", len(lines))
	}
	v, _ := lines[0]["value"].(map[string]any)
	if len(v) != 2 {
		t.Errorf("a 2-pair CBOR map came out as a JSON object with %d distinct keys (value_raw %v): %s",
			len(v), lines[0]["value_raw"], lines[0]["_line"])
	}
}

// A CBOR text string that is not valid UTF-8 (which DESIGN.md says a Go
// string may be, and must read back as written): dump -json silently
// replaces the bad byte with U+FFFD and gives no value_raw, so the bytes are
// lost; the text dump calls the value "raw" and shows its CBOR header byte
// as part of the string.
func TestDumpKeepsNonUTF8Strings(t *testing.T) {
	val := []byte{0x63, 'a', 0xff, 'b'} // CBOR text "a\xffb"
	fill := func(ctx context.Context, b *memory.Backend) { put(t, b, []byte("v/s"), val) }
	lines := dumpJSON(t, fill)
	if len(lines) != 1 {
		t.Fatalf("%d lines", len(lines))
	}
	if s, _ := lines[0]["value"].(string); strings.ContainsRune(s, '\uFFFD') && lines[0]["value_raw"] == nil {
		t.Errorf("dump -json: value %q with no value_raw: the byte 0xff is lost: %s", s, lines[0]["_line"])
	}
	p := makeCheckpoint(t, t.TempDir(), true, fill)
	r := statectl(t, "dump", p)
	if strings.Contains(r.stdout, `raw "ca\xffb"`) {
		t.Errorf("dump text shows a well-formed CBOR text string as raw bytes including its header byte 'c': %s", r.stdout)
	}
}

// CBOR map {1: "x", "1": "y", "1#2": "z"}: the disambiguation renames the
// integer key 1 to "1#2", and moves the real text key "1#2" to "1#2#2", so
// value["1#2"] reads "x" where the checkpoint says "z".
func TestDumpJSONRenamesWithoutCollision(t *testing.T) {
	lines := dumpJSON(t, func(ctx context.Context, b *memory.Backend) {
		// a3 01 61'x' 61'1' 61'y' 63'1#2' 61'z'
		put(t, b, []byte("v/m"), []byte{0xa3, 0x01, 0x61, 'x', 0x61, '1', 0x61, 'y', 0x63, '1', '#', '2', 0x61, 'z'})
	})
	v, _ := lines[0]["value"].(map[string]any)
	if got := v["1#2"]; got != "z" {
		t.Errorf(`the CBOR text key "1#2" maps to "z"; dump -json has "1#2": %v: %s`, got, lines[0]["_line"])
	}
}

// statectl verify/info on a path that is a FIFO blocks in open(2) forever,
// and Ctrl-C (SIGINT) does not stop it: main's signal.NotifyContext swallows
// the signal and nothing is watching the context.
func TestVerifyRefusesAFIFO(t *testing.T) {
	bin := buildBin(t, "cmd/statectl")
	fifo := filepath.Join(t.TempDir(), "x.ckpt")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	cmd := exec.Command(bin, "verify", fifo)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		return // answered without a writer: fine
	case <-time.After(2 * time.Second):
	}
	cmd.Process.Signal(os.Interrupt)
	select {
	case <-done:
		t.Errorf("statectl verify on a FIFO hung for 2 s (stopped only by SIGINT)")
	case <-time.After(3 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Errorf("statectl verify on a FIFO hangs, and SIGINT does not stop it (killed after 5 s)")
	}
}

// A checkpoint name that is a dangling symlink (the volume it points to is
// gone) or a directory: ls does not list it and verify DIR exits 0 with
// nothing said, although a *.ckpt in the directory is not a readable
// checkpoint. checkpointFiles drops every name os.Stat fails on or that is
// not a regular file.
func TestVerifyDirNamesBrokenEntries(t *testing.T) {
	dir := t.TempDir()
	makeCheckpoint(t, dir, true, simple(5))
	broken := filepath.Join(dir, "20990101T000000.000000000Z.ckpt")
	if err := os.Symlink(filepath.Join(t.TempDir(), "gone", "x.ckpt"), broken); err != nil {
		t.Fatal(err)
	}
	r := statectl(t, "verify", dir)
	if r.code == 0 {
		t.Errorf("verify DIR with a dangling *.ckpt symlink: exit 0, stderr %q, stdout %q", r.stderr, r.stdout)
	}
	r = statectl(t, "ls", dir)
	if !strings.Contains(r.stdout+r.stderr, "20990101T000000") {
		t.Errorf("ls does not mention the dangling checkpoint %s at all:\n%s%s", filepath.Base(broken), r.stdout, r.stderr)
	}
}

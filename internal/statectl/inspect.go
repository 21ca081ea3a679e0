package statectl

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/statekit/statekit/checkpoint"
)

// lsRow is one line of ls; its JSON form is ls -json's.
type lsRow struct {
	File       string    `json:"file"`
	ID         string    `json:"id"`
	Created    time.Time `json:"created,omitzero"`
	Entries    int64     `json:"entries"` // -1: unknown (the header or trailer is unreadable)
	SizeBytes  int64     `json:"size_bytes"`
	Compressed bool      `json:"compressed"`
	Status     string    `json:"status"`
	Error      string    `json:"error,omitempty"`
	err        error
}

// inspect opens path and checks its checksum (not its records: ls stays a
// read of each file, without decompressing).
func inspect(ctx context.Context, path string) lsRow {
	row := lsRow{File: path, ID: strings.TrimSuffix(filepath.Base(path), ".ckpt"), Entries: -1, SizeBytes: -1}
	if fi, err := os.Stat(path); err == nil {
		row.SizeBytes = fi.Size()
	}
	r, err := checkpoint.OpenFile(path)
	if err == nil {
		info := r.Info()
		row.Created, row.Entries, row.SizeBytes, row.Compressed = info.CreatedAt, info.Entries, info.SizeBytes, info.Compressed
		err = r.Verify(ctx)
		r.Close()
	}
	row.Status = classify(err)
	if err != nil {
		row.err = &fileError{path, err}
		row.Error = reason(err, path)
	}
	return row
}

func cmdLs(ctx context.Context, env Env, args []string) error {
	f := newFlags("ls", "ls [-json] DIR", env)
	asJSON := f.Bool("json", false, "print a JSON array of objects instead of a table")
	pos, err := f.parse(args, 1)
	if err != nil {
		return err
	}
	dir := pos[0]
	paths, err := checkpointFiles(dir)
	if err != nil {
		return err // *PathError: names dir
	}
	rows := make([]lsRow, 0, len(paths))
	for _, p := range paths {
		rows = append(rows, inspect(ctx, p))
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	if len(rows) == 0 {
		fmt.Fprintf(env.Stderr, "statectl ls: %s: no checkpoint files\n", dir)
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCREATED\tENTRIES\tSIZE\tCOMPRESSED\tSTATUS")
	for _, r := range rows {
		created, entries, compressed := "-", "-", "-"
		if r.Entries >= 0 { // the header and trailer were read
			created, entries, compressed = rfc3339(r.Created), fmt.Sprint(r.Entries), fmt.Sprint(r.Compressed)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, created, entries, human(r.SizeBytes), compressed, r.Status)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rows {
		if r.err != nil {
			fmt.Fprintf(env.Stderr, "statectl ls: %v\n", r.err)
		}
	}
	return nil
}

// verifyFile reads every entry of path: checksum, record structure, counts.
func verifyFile(ctx context.Context, path string) (checkpoint.Info, error) {
	r, err := checkpoint.OpenFile(path)
	if err != nil {
		return checkpoint.Info{}, &fileError{path, err}
	}
	defer r.Close()
	for _, err := range r.Entries(ctx) {
		if err != nil {
			return checkpoint.Info{}, &fileError{path, err}
		}
	}
	return r.Info(), nil
}

func cmdVerify(ctx context.Context, env Env, args []string) error {
	f := newFlags("verify", "verify FILE|DIR", env)
	pos, err := f.parse(args, 1)
	if err != nil {
		return err
	}
	paths := []string{pos[0]}
	if fi, err := os.Stat(pos[0]); err != nil {
		return err
	} else if fi.IsDir() {
		if paths, err = checkpointFiles(pos[0]); err != nil {
			return err
		}
		if len(paths) == 0 {
			return fmt.Errorf("%s: no checkpoint files", pos[0])
		}
	}
	bad := 0
	for _, p := range paths {
		info, err := verifyFile(ctx, p)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			bad++
			fmt.Fprintf(env.Stderr, "statectl verify: %s\n", oneLine(err.Error()))
			continue
		}
		fmt.Fprintf(env.Stdout, "ok %s (%d entries)\n", p, info.Entries)
	}
	if bad > 0 {
		return &exitError{code: ExitFail, err: fmt.Errorf("%d of %d checkpoint files bad", bad, len(paths))}
	}
	return nil
}

// prefixStats counts the entries of one key group.
type prefixStats struct {
	group                  string
	entries                int64
	keyBytes, valueBytes   int64
	expiring               int64
	firstExpiry, lastExpir time.Time
}

func (p *prefixStats) bytes() int64 { return p.keyBytes + p.valueBytes }

// formatVersion reads the format version from the header (FORMAT.md: two
// little-endian bytes at offset 8), or 0.
func formatVersion(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	var b [10]byte
	if _, err := io.ReadFull(f, b[:]); err != nil {
		return 0
	}
	return int(binary.LittleEndian.Uint16(b[8:]))
}

func cmdInfo(ctx context.Context, env Env, args []string) error {
	f := newFlags("info", "info FILE", env)
	pos, err := f.parse(args, 1)
	if err != nil {
		return err
	}
	path := pos[0]
	r, err := checkpoint.OpenFile(path)
	if err != nil {
		return &fileError{path, err}
	}
	defer r.Close()
	groups := map[string]*prefixStats{}
	var total prefixStats
	for e, err := range r.Entries(ctx) {
		if err != nil {
			return &fileError{path, err}
		}
		g := ParseKey(e.Key).Group()
		s := groups[g]
		if s == nil {
			s = &prefixStats{group: g}
			groups[g] = s
		}
		for _, s := range []*prefixStats{s, &total} {
			s.entries++
			s.keyBytes += int64(len(e.Key))
			s.valueBytes += int64(len(e.Value))
			if !e.ExpiresAt.IsZero() {
				s.expiring++
				if s.firstExpiry.IsZero() || e.ExpiresAt.Before(s.firstExpiry) {
					s.firstExpiry = e.ExpiresAt
				}
				if e.ExpiresAt.After(s.lastExpir) {
					s.lastExpir = e.ExpiresAt
				}
			}
		}
	}
	info := r.Info()
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "file\t%s\n", path)
	fmt.Fprintf(tw, "id\t%s\n", info.ID)
	fmt.Fprintf(tw, "created\t%s\n", rfc3339(info.CreatedAt))
	fmt.Fprintf(tw, "format\tversion %d\n", formatVersion(path))
	fmt.Fprintf(tw, "compressed\t%v\n", info.Compressed)
	fmt.Fprintf(tw, "size\t%s (%d bytes)\n", human(info.SizeBytes), info.SizeBytes)
	fmt.Fprintf(tw, "entries\t%d\n", info.Entries)
	fmt.Fprintf(tw, "keys+values\t%s (%d bytes uncompressed)\n", human(total.bytes()), total.bytes())
	if total.expiring > 0 {
		fmt.Fprintf(tw, "expiring\t%d of %d entries, %s to %s\n", total.expiring, total.entries, rfc3339(total.firstExpiry), rfc3339(total.lastExpir))
	} else {
		fmt.Fprintf(tw, "expiring\tnone\n")
	}
	fmt.Fprintf(tw, "checksum\tok (SHA-256, every record read)\n")
	if err := tw.Flush(); err != nil {
		return err
	}
	list := make([]*prefixStats, 0, len(groups))
	for _, s := range groups {
		list = append(list, s)
	}
	slices.SortFunc(list, func(a, b *prefixStats) int {
		return cmp.Or(cmp.Compare(b.bytes(), a.bytes()), cmp.Compare(a.group, b.group))
	})
	fmt.Fprintln(env.Stdout)
	tw = tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PREFIX\tENTRIES\tKEY BYTES\tVALUE BYTES\tSHARE\tEXPIRING")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%d\n", s.group, s.entries, s.keyBytes, s.valueBytes, share(s.bytes(), total.bytes()), s.expiring)
	}
	return tw.Flush()
}

// share is part/whole as a percentage with one decimal.
func share(part, whole int64) string {
	if whole == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(part)/float64(whole))
}

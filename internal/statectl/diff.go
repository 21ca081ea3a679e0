package statectl

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"iter"
	"slices"

	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/runtime"
)

// diffGroup counts the differences within one key group, with a few samples.
type diffGroup struct {
	added, removed, changed int64
	samples                 []string
}

// diffResult is what diff found.
type diffResult struct {
	groups                        map[string]*diffGroup
	added, removed, changed, same int64
	entriesA, entriesB            int64
	samplesPerGroup               int
}

func (d *diffResult) note(key []byte, sample func() string, count func(*diffGroup)) {
	g := ParseKey(key).Group()
	dg := d.groups[g]
	if dg == nil {
		dg = &diffGroup{}
		d.groups[g] = dg
	}
	count(dg)
	if len(dg.samples) < d.samplesPerGroup {
		dg.samples = append(dg.samples, sample())
	}
}

// sortedEntries yields path's entries, failing if they are not in ascending
// key order (every statekit backend writes them so; diff relies on it to
// compare two files in one pass, in constant memory).
func sortedEntries(ctx context.Context, path string, r *checkpoint.Reader) iter.Seq2[runtime.Entry, error] {
	return func(yield func(runtime.Entry, error) bool) {
		var prev []byte
		for e, err := range r.Entries(ctx) {
			if err != nil {
				yield(e, &fileError{path, err})
				return
			}
			if prev != nil && bytes.Compare(prev, e.Key) >= 0 {
				yield(e, fmt.Errorf("%s: keys not in ascending order at %s: diff needs sorted checkpoints", path, quote(e.Key)))
				return
			}
			prev = e.Key
			if !yield(e, nil) {
				return
			}
		}
	}
}

// diffFiles compares the checkpoints at a and b.
func diffFiles(ctx context.Context, a, b string, samples int) (*diffResult, error) {
	ra, err := checkpoint.OpenFile(a)
	if err != nil {
		return nil, &fileError{a, err}
	}
	defer ra.Close()
	rb, err := checkpoint.OpenFile(b)
	if err != nil {
		return nil, &fileError{b, err}
	}
	defer rb.Close()
	nextA, stopA := iter.Pull2(sortedEntries(ctx, a, ra))
	defer stopA()
	nextB, stopB := iter.Pull2(sortedEntries(ctx, b, rb))
	defer stopB()

	d := &diffResult{groups: map[string]*diffGroup{}, samplesPerGroup: samples}
	pull := func(next func() (runtime.Entry, error, bool)) (runtime.Entry, bool, error) {
		e, err, ok := next()
		if err != nil {
			return e, false, err
		}
		return e, ok, nil
	}
	ea, okA, err := pull(nextA)
	if err != nil {
		return nil, err
	}
	eb, okB, err := pull(nextB)
	if err != nil {
		return nil, err
	}
	for okA || okB {
		c := 0
		switch {
		case !okA:
			c = 1
		case !okB:
			c = -1
		default:
			c = bytes.Compare(ea.Key, eb.Key)
		}
		switch {
		case c < 0: // only in A
			d.removed++
			d.note(ea.Key, func() string { return "- " + ParseKey(ea.Key).String() }, func(g *diffGroup) { g.removed++ })
		case c > 0: // only in B
			d.added++
			d.note(eb.Key, func() string { return "+ " + entryText(eb) }, func(g *diffGroup) { g.added++ })
		case !bytes.Equal(ea.Value, eb.Value) || !ea.ExpiresAt.Equal(eb.ExpiresAt):
			d.changed++
			d.note(ea.Key, func() string { return "~ " + changeText(ea, eb) }, func(g *diffGroup) { g.changed++ })
		default:
			d.same++
		}
		if c <= 0 {
			d.entriesA++
			if ea, okA, err = pull(nextA); err != nil {
				return nil, err
			}
		}
		if c >= 0 {
			d.entriesB++
			if eb, okB, err = pull(nextB); err != nil {
				return nil, err
			}
		}
	}
	return d, nil
}

func entryText(e runtime.Entry) string {
	s := ParseKey(e.Key).String() + " = " + ValueText(e.Value)
	if !e.ExpiresAt.IsZero() {
		s += " expires " + rfc3339(e.ExpiresAt)
	}
	return s
}

func changeText(a, b runtime.Entry) string {
	s := ParseKey(a.Key).String() + ": "
	if !bytes.Equal(a.Value, b.Value) {
		s += ValueText(a.Value) + " -> " + ValueText(b.Value)
	}
	if !a.ExpiresAt.Equal(b.ExpiresAt) {
		if !bytes.Equal(a.Value, b.Value) {
			s += ", "
		}
		s += "expires " + expiryText(a) + " -> " + expiryText(b)
	}
	return s
}

func expiryText(e runtime.Entry) string {
	if e.ExpiresAt.IsZero() {
		return "never"
	}
	return rfc3339(e.ExpiresAt)
}

func (d *diffResult) write(w io.Writer, a, b string) {
	fmt.Fprintf(w, "--- %s (%d entries)\n+++ %s (%d entries)\n", a, d.entriesA, b, d.entriesB)
	names := make([]string, 0, len(d.groups))
	for g := range d.groups {
		names = append(names, g)
	}
	slices.Sort(names)
	for _, name := range names {
		g := d.groups[name]
		fmt.Fprintf(w, "%s: %d added, %d removed, %d changed\n", name, g.added, g.removed, g.changed)
		for _, s := range g.samples {
			fmt.Fprintf(w, "  %s\n", s)
		}
		if shown, all := int64(len(g.samples)), g.added+g.removed+g.changed; shown < all {
			fmt.Fprintf(w, "  ... and %d more\n", all-shown)
		}
	}
	fmt.Fprintf(w, "total: %d added, %d removed, %d changed, %d unchanged\n", d.added, d.removed, d.changed, d.same)
}

func cmdDiff(ctx context.Context, env Env, args []string) error {
	f := newFlags("diff", "diff [-samples N] A B", env)
	samples := f.Int("samples", 3, "sample keys shown per prefix")
	pos, err := f.parse(args, 2)
	if err != nil {
		return err
	}
	if *samples < 0 {
		return f.fail("-samples %d: want 0 or more", *samples)
	}
	d, err := diffFiles(ctx, pos[0], pos[1], *samples)
	if err != nil {
		return &exitError{code: ExitUsage, err: err} // diff(1): trouble is 2
	}
	d.write(env.Stdout, pos[0], pos[1])
	if d.added+d.removed+d.changed > 0 {
		return &exitError{code: ExitFail}
	}
	return nil
}

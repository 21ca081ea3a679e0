package stateimpl

import (
	"context"
	"errors"
	"iter"
	"sync"
	"time"

	"github.com/statekit/statekit/runtime"
)

// Schema describes a generated type V and its key type K to the generic
// stores. stategen writes one per annotated type, in the store's constructor;
// every function is generated code or a generated method.
type Schema[K, V any] struct {
	// Name is the Go type's name, for errors.
	Name string
	// Prefix starts every state key of the store.
	Prefix string
	// TTL is the TTL of every state write; 0: the backend's default.
	TTL time.Duration

	// AppendKey appends the order-preserving encoding of k's fields to dst
	// (the method expression TKey.AppendKey).
	AppendKey func(k K, dst []byte) ([]byte, error)
	// DecodeKey decodes an encoding AppendKey made (TKey.DecodeKey, through
	// a value: a pointer handed to a function value would escape).
	DecodeKey func(b []byte) (K, error)
	// KeyOf returns the key of v (T.StateKey).
	KeyOf func(v V) K
	// WithKey returns v with the key fields of k.
	WithKey func(v V, k K) V
	// Encode appends the CBOR encoding of v to dst (T.AppendCBOR).
	Encode func(v V, dst []byte) ([]byte, error)
	// Decode decodes a stored value but for its key fields, which the store
	// then sets from the key (WithKey), so that they need not be decoded.
	Decode func(data []byte) (V, error)
	// Merge merges in into the stored value old (found false: there is
	// none) and appends the encoding of the result to dst. An old value that
	// does not decode is reported as Undecodable(err).
	Merge func(dst, old []byte, found bool, in V) ([]byte, error)
}

// decode decodes a stored value whose key is k. Its error is the decoder's:
// the caller reports it with CorruptValue and the key the value is stored
// under.
func (s *Schema[K, V]) decode(k K, raw []byte) (V, error) {
	v, err := s.Decode(raw)
	if err != nil {
		return v, err
	}
	return s.WithKey(v, k), nil
}

// undecodable marks a stored value that Schema.Merge could not decode, so
// that the store reports it as corrupt, with its key.
type undecodable struct{ err error }

func (e *undecodable) Error() string { return e.err.Error() }
func (e *undecodable) Unwrap() error { return e.err }

// Undecodable wraps the error of decoding a stored value inside Schema.Merge.
func Undecodable(err error) error { return &undecodable{err} }

// merger is one Merge or Add in flight: the value to merge and the buffer it
// is encoded into, with the UpdateFunc bound to them once, so that a merge
// allocates neither a closure nor a copy of the value.
type merger[K, V any] struct {
	s   *Schema[K, V]
	in  V
	key []byte // for errors
	buf []byte
	fn  runtime.UpdateFunc
}

func (m *merger[K, V]) update(old []byte, found bool) ([]byte, bool, error) {
	out, err := m.s.Merge(m.buf[:0], old, found, m.in)
	m.buf = out
	if err != nil {
		if u, ok := errors.AsType[*undecodable](err); ok {
			err = CorruptValue(m.s.Name, m.key, u.err)
		}
		return nil, false, err
	}
	return out, true, nil
}

// mergers pools the mergers of one store.
type mergers[K, V any] struct{ p sync.Pool }

func (p *mergers[K, V]) get(s *Schema[K, V], in V, key []byte) *merger[K, V] {
	m, ok := p.p.Get().(*merger[K, V])
	if !ok {
		m = &merger[K, V]{s: s, buf: make([]byte, 0, 256)}
		m.fn = m.update
	}
	m.in, m.key = in, key
	return m
}

func (p *mergers[K, V]) put(m *merger[K, V]) {
	var zero V
	m.in, m.key = zero, nil // keep nothing of the caller's alive
	if cap(m.buf) <= 64<<10 {
		p.p.Put(m)
	}
}

// AggregateStore keeps values of type V by their keys of type K in a
// runtime.Backend. A generated TStore embeds an AggregateStore, and
// NewTStore makes it. It is safe for concurrent use.
type AggregateStore[K, V any] struct {
	b      runtime.Backend
	s      Schema[K, V]
	bufs   BufPool
	merges mergers[K, V]
}

// NewAggregateStore returns the store s describes, on b. Generated
// constructors call it.
func NewAggregateStore[K, V any](b runtime.Backend, s Schema[K, V]) *AggregateStore[K, V] {
	return &AggregateStore[K, V]{b: b, s: s}
}

// Backend returns the backend the store keeps its values in.
func (s *AggregateStore[K, V]) Backend() runtime.Backend { return s.b }

// key encodes k under the store's prefix into *buf.
func (s *AggregateStore[K, V]) key(buf *[]byte, k K) ([]byte, error) {
	b, err := s.s.AppendKey(k, append((*buf)[:0], s.s.Prefix...))
	*buf = b
	return b, err
}

// Get returns the value stored under k, and whether there is one. A stored
// value that does not decode is an error wrapping runtime.ErrCorrupt, naming
// the type and the key.
func (s *AggregateStore[K, V]) Get(ctx context.Context, k K) (V, bool, error) {
	var zero V
	buf := s.bufs.Get()
	defer s.bufs.Put(buf)
	key, err := s.key(buf, k)
	if err != nil {
		return zero, false, err
	}
	raw, ok, err := s.b.Get(ctx, key)
	if err != nil || !ok {
		return zero, false, err
	}
	v, err := s.s.decode(k, raw)
	if err != nil {
		return zero, false, CorruptValue(s.s.Name, key, err)
	}
	return v, true, nil
}

// Put stores v under its key, replacing what was there, with the store's TTL.
func (s *AggregateStore[K, V]) Put(ctx context.Context, v V) error {
	kb, vb := s.bufs.Get(), s.bufs.Get()
	defer s.bufs.Put(kb)
	defer s.bufs.Put(vb)
	key, err := s.key(kb, s.s.KeyOf(v))
	if err != nil {
		return err
	}
	if *vb, err = s.s.Encode(v, *vb); err != nil {
		return err
	}
	return runtime.PutTTL(ctx, s.b, key, *vb, s.s.TTL)
}

// Merge merges v into the value stored under its key, atomically: concurrent
// Merges of one key never lose an update, on any backend (runtime.UpdateTTL).
// Into a missing key it stores v as given, with its count fields 1.
func (s *AggregateStore[K, V]) Merge(ctx context.Context, v V) error {
	buf := s.bufs.Get()
	defer s.bufs.Put(buf)
	key, err := s.key(buf, s.s.KeyOf(v))
	if err != nil {
		return err
	}
	m := s.merges.get(&s.s, v, key)
	err = runtime.UpdateTTL(ctx, s.b, key, s.s.TTL, m.fn)
	s.merges.put(m)
	return err
}

// Delete deletes the value stored under k; a missing key is not an error.
func (s *AggregateStore[K, V]) Delete(ctx context.Context, k K) error {
	buf := s.bufs.Get()
	defer s.bufs.Put(buf)
	key, err := s.key(buf, k)
	if err != nil {
		return err
	}
	return s.b.Delete(ctx, key)
}

// Scan calls fn for every stored value, in key order. fn returning
// runtime.SkipAll stops the scan without an error; any other error stops it
// and is returned.
func (s *AggregateStore[K, V]) Scan(ctx context.Context, fn func(V) error) error {
	n := len(s.s.Prefix)
	return s.b.Scan(ctx, []byte(s.s.Prefix), func(key, raw []byte) error {
		k, err := s.s.DecodeKey(key[n:])
		if err != nil {
			return CorruptKey(s.s.Name, key, err)
		}
		v, err := s.s.decode(k, raw)
		if err != nil {
			return CorruptValue(s.s.Name, key, err)
		}
		return fn(v)
	})
}

// All yields every stored value, in key order; an error ends the sequence.
func (s *AggregateStore[K, V]) All(ctx context.Context) iter.Seq2[V, error] {
	return func(yield func(V, error) bool) {
		err := s.Scan(ctx, func(v V) error {
			if !yield(v, nil) {
				return runtime.SkipAll
			}
			return nil
		})
		if err != nil {
			var zero V
			yield(zero, err)
		}
	}
}

// Windowing is what a window store adds to its Schema: its windows, and the
// prefix of its timer keys.
type Windowing struct {
	Size, Slide time.Duration // Slide == Size: tumbling
	Lateness    time.Duration // a window fires when End+Lateness <= the watermark
	TimerPrefix string
}

// WindowStore keeps values of type V per key of type K and per event-time
// window (aligned to the Unix epoch), on the window engine [Windows], whose
// doc says when events are late and windows fire. A generated TStore embeds
// a WindowStore, and NewTStore makes it. It is safe for concurrent use.
// Create one store per
// backend and key space, and fire it from one place: the store keeps the
// fired watermark.
type WindowStore[K, V any] struct {
	w      *Windows
	s      Schema[K, V]
	bufs   BufPool
	merges mergers[K, V]
}

// NewWindowStore returns the store s and win describe, on b. Like
// regexp.MustCompile, it panics if they do not make a valid WindowSpec:
// generated constructors pass constants stategen has checked.
func NewWindowStore[K, V any](b runtime.Backend, s Schema[K, V], win Windowing) *WindowStore[K, V] {
	return &WindowStore[K, V]{s: s, w: NewWindows(b, WindowSpec{
		Size: win.Size, Slide: win.Slide, Lateness: win.Lateness, TTL: s.TTL,
		StatePrefix: []byte(s.Prefix), TimerPrefix: []byte(win.TimerPrefix),
	})}
}

// Engine returns the untyped window engine under the store.
func (s *WindowStore[K, V]) Engine() *Windows { return s.w }

// fields encodes k into *buf.
func (s *WindowStore[K, V]) fields(buf *[]byte, k K) ([]byte, error) {
	b, err := s.s.AppendKey(k, (*buf)[:0])
	*buf = b
	return b, err
}

// Add merges v into every window that contains at and has not fired, and
// returns an error wrapping runtime.ErrLate, dropping v, if all of them have:
// a window has fired once End+lateness <= the highest watermark FireDue had.
func (s *WindowStore[K, V]) Add(ctx context.Context, at time.Time, v V) error {
	buf := s.bufs.Get()
	defer s.bufs.Put(buf)
	fields, err := s.fields(buf, s.s.KeyOf(v))
	if err != nil {
		return err
	}
	m := s.merges.get(&s.s, v, nil) // the engine adds the window's key to errors
	err = s.w.Add(ctx, fields, at, m.fn)
	s.merges.put(m)
	return err
}

// Get returns the value of k in window w, and whether there is one.
func (s *WindowStore[K, V]) Get(ctx context.Context, k K, w runtime.Window) (V, bool, error) {
	var zero V
	buf := s.bufs.Get()
	defer s.bufs.Put(buf)
	fields, err := s.fields(buf, k)
	if err != nil {
		return zero, false, err
	}
	raw, ok, err := s.w.Get(ctx, fields, w)
	if err != nil || !ok {
		return zero, false, err
	}
	v, err := s.s.decode(k, raw)
	if err != nil {
		return zero, false, CorruptValue(s.s.Name, s.w.stateKeyOf(fields, w.Start), err)
	}
	return v, true, nil
}

// Put replaces the value of k in window w, which must be one of the store's
// windows and not have fired (else an error wrapping runtime.ErrLate). v's
// key fields are set from k.
func (s *WindowStore[K, V]) Put(ctx context.Context, k K, w runtime.Window, v V) error {
	kb, vb := s.bufs.Get(), s.bufs.Get()
	defer s.bufs.Put(kb)
	defer s.bufs.Put(vb)
	fields, err := s.fields(kb, k)
	if err != nil {
		return err
	}
	if *vb, err = s.s.Encode(s.s.WithKey(v, k), *vb); err != nil {
		return err
	}
	return s.w.Put(ctx, fields, w, *vb)
}

// Delete deletes the value of k in window w. Its timer stays until the
// window is due, when FireDue drops it without calling fn.
func (s *WindowStore[K, V]) Delete(ctx context.Context, k K, w runtime.Window) error {
	buf := s.bufs.Get()
	defer s.bufs.Put(buf)
	fields, err := s.fields(buf, k)
	if err != nil {
		return err
	}
	return s.w.Delete(ctx, fields, w)
}

// Windows calls fn for every window of k that holds a value, by start time.
// fn returning runtime.SkipAll stops without an error.
func (s *WindowStore[K, V]) Windows(ctx context.Context, k K, fn func(runtime.Window, V) error) error {
	buf := s.bufs.Get()
	defer s.bufs.Put(buf)
	fields, err := s.fields(buf, k)
	if err != nil {
		return err
	}
	return s.w.Scan(ctx, fields, func(w runtime.Window, raw []byte) error {
		v, err := s.s.decode(k, raw)
		if err != nil {
			return CorruptValue(s.s.Name, s.w.stateKeyOf(fields, w.Start), err)
		}
		return fn(w, v)
	})
}

// FireDue calls fn for every window with End+lateness <= watermark, oldest
// end first, then deletes its value and timer, and returns how many fired. If
// fn fails, FireDue stops and returns its error; that window fires again next
// time. A crash between fn and the delete fires it again too: at least once.
// From then on Add refuses events for the windows due at watermark. The
// deletes of up to 512 windows are committed together after their calls of
// fn, so fn may still read (Get, Windows) a window fired before it in the
// same call, and a crash fires that many again.
func (s *WindowStore[K, V]) FireDue(ctx context.Context, watermark time.Time, fn func(K, runtime.Window, V) error) (int, error) {
	return s.w.FireDue(ctx, watermark, func(fields []byte, w runtime.Window, raw []byte) error {
		k, err := s.s.DecodeKey(fields)
		if err != nil {
			return CorruptKey(s.s.Name, fields, err)
		}
		v, err := s.s.decode(k, raw)
		if err != nil {
			return CorruptValue(s.s.Name, s.w.stateKeyOf(fields, w.Start), err)
		}
		return fn(k, w, v)
	})
}

// Watermark returns the highest watermark FireDue recorded for the store (the
// zero Time before any window fired): events whose every window ended at
// least the lateness before it are late. See Windows.Watermark.
func (s *WindowStore[K, V]) Watermark(ctx context.Context) (time.Time, error) {
	return s.w.Watermark(ctx)
}

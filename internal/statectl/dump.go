package statectl

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/runtime"
)

// dumpEntry is one line of dump -json.
type dumpEntry struct {
	Key       string      `json:"key"`        // as the text output shows it
	KeyBase64 string      `json:"key_base64"` // the exact bytes
	Kind      string      `json:"kind,omitempty"`
	Type      string      `json:"type,omitempty"`
	Fields    []jsonField `json:"fields,omitempty"`
	KeyRest   string      `json:"key_rest,omitempty"` // undecoded bytes after the prefix, Go-quoted
	Value     any         `json:"value"`              // the CBOR value as JSON, or null
	ValueRaw  string      `json:"value_raw,omitempty"`
	Expires   string      `json:"expires,omitempty"`
}

type jsonField struct {
	Kind  string `json:"kind"`
	Role  string `json:"role,omitempty"`
	Value any    `json:"value"`
}

func toDumpEntry(e runtime.Entry) dumpEntry {
	k := ParseKey(e.Key)
	d := dumpEntry{Key: k.String(), KeyBase64: base64.StdEncoding.EncodeToString(e.Key), Kind: k.Kind, Type: k.Type}
	for _, f := range k.Fields {
		d.Fields = append(d.Fields, jsonField{Kind: f.Kind, Role: f.Role, Value: f.JSON()})
	}
	if k.Rest != nil {
		d.KeyRest = quote(k.Rest)
	}
	if wm, ok := watermarkValue(e.Key, e.Value); ok {
		d.Value = map[string]any{"watermark": rfc3339(wm)}
	} else if v, ok := ValueJSON(e.Value); ok {
		d.Value = v
	} else {
		d.ValueRaw = base64.StdEncoding.EncodeToString(e.Value)
	}
	if !e.ExpiresAt.IsZero() {
		d.Expires = rfc3339(e.ExpiresAt)
	}
	return d
}

// writeEntryText writes one entry of dump's text output:
//
//	KEY = VALUE [expires TIME]
func writeEntryText(w io.Writer, e runtime.Entry) {
	value := ValueText(e.Value)
	if wm, ok := watermarkValue(e.Key, e.Value); ok {
		value = "watermark " + rfc3339(wm)
	}
	fmt.Fprintf(w, "%s = %s", ParseKey(e.Key), value)
	if !e.ExpiresAt.IsZero() {
		fmt.Fprintf(w, " expires %s", rfc3339(e.ExpiresAt))
	}
	fmt.Fprintln(w)
}

func cmdDump(ctx context.Context, env Env, args []string) error {
	f := newFlags("dump", "dump [-prefix P] [-limit N] [-json] FILE", env)
	prefix := f.String("prefix", "", "only keys starting with these bytes (e.g. w/UserClicks/)")
	limit := f.Int("limit", 0, "print at most N entries (0: all)")
	asJSON := f.Bool("json", false, "one JSON object per line (JSON Lines) instead of text")
	pos, err := f.parse(args, 1)
	if err != nil {
		return err
	}
	if *limit < 0 {
		return f.fail("-limit %d: want 0 (all) or more", *limit)
	}
	path := pos[0]
	r, err := checkpoint.OpenFile(path)
	if err != nil {
		return &fileError{path, err}
	}
	defer r.Close()
	// The checksum covers the whole file and is checked at its end: verify
	// first, so that -limit (or a prefix near the start) never prints records
	// of a damaged file as if they were sound.
	if err := r.Verify(ctx); err != nil {
		return &fileError{path, err}
	}
	w := bufio.NewWriter(env.Stdout)
	defer w.Flush()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	n := 0
	for e, err := range r.Entries(ctx) {
		if err != nil {
			w.Flush()
			return &fileError{path, err}
		}
		if !bytes.HasPrefix(e.Key, []byte(*prefix)) {
			continue
		}
		if *limit > 0 && n == *limit {
			break
		}
		n++
		if *asJSON {
			if err := enc.Encode(toDumpEntry(e)); err != nil {
				return err
			}
		} else {
			writeEntryText(w, e)
		}
	}
	return w.Flush()
}

// watermarkValue decodes the value of a window store's fired watermark key,
// t/<Name>:watermark (see runtime.WindowSpec): a time in the key encoding.
func watermarkValue(key, value []byte) (time.Time, bool) {
	name, ok := bytes.CutPrefix(key, []byte("t/"))
	if !ok || !bytes.HasSuffix(name, []byte(":watermark")) || bytes.IndexByte(name, '/') >= 0 || len(value) != 8 {
		return time.Time{}, false
	}
	r := runtime.NewKeyReader(value)
	wm := r.ReadTime()
	return wm, r.Done() == nil
}

package gen

import (
	"fmt"
	"go/token"
	"regexp"
	"strings"
	"time"

	"github.com/statekit/statekit/runtime"
	"github.com/statekit/statekit/runtime/stateimpl"
)

// directivePrefix starts every statekit directive comment.
const directivePrefix = "//statekit:"

// directive is a parsed //statekit:NAME opt=value ... comment.
type directive struct {
	kind Kind
	pos  token.Position // of the comment
	opts map[string]option
}

type option struct {
	value string
	pos   token.Position
}

// allowed options per directive.
var allowedOptions = map[Kind][]string{
	Aggregate: {"ttl", "prefix"},
	Window:    {"size", "slide", "lateness", "ttl", "prefix"},
}

var directiveKinds = map[string]Kind{"aggregate": Aggregate, "window": Window}

// parseDirective parses the text of one comment that starts with
// directivePrefix. pos is the comment's position.
func parseDirective(text string, pos token.Position) (*directive, []Problem) {
	var problems []Problem
	at := func(col int) token.Position { p := pos; p.Column += col; p.Offset += col; return p }
	rest := text[len(directivePrefix):]
	name, args, _ := strings.Cut(rest, " ")
	kind, ok := directiveKinds[name]
	if !ok {
		names := []string{"aggregate", "window"}
		return nil, []Problem{{at(0), fmt.Sprintf("unknown directive //statekit:%s%s; want //statekit:aggregate or //statekit:window", name, suggest(name, names))}}
	}
	d := &directive{kind: kind, pos: pos, opts: map[string]option{}}
	col := len(directivePrefix) + len(name) + 1
	for _, field := range strings.Split(args, " ") {
		if field == "" {
			col++
			continue
		}
		fpos := at(col)
		col += len(field) + 1
		key, value, hasValue := strings.Cut(field, "=")
		if !contains(allowedOptions[kind], key) {
			problems = append(problems, Problem{fpos, fmt.Sprintf("//statekit:%s: unknown option %q%s; allowed: %s",
				name, key, suggest(key, allowedOptions[kind]), strings.Join(allowedOptions[kind], ", "))})
			continue
		}
		if !hasValue || value == "" {
			problems = append(problems, Problem{fpos, fmt.Sprintf("//statekit:%s: option %s needs a value: %s=...", name, key, key)})
			continue
		}
		if _, dup := d.opts[key]; dup {
			problems = append(problems, Problem{fpos, fmt.Sprintf("//statekit:%s: option %s given twice", name, key)})
			continue
		}
		d.opts[key] = option{value: value, pos: fpos}
	}
	return d, problems
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// duration parses option key as a positive (or, with allowZero, non-negative)
// Go duration. It returns 0 and no problem when the option is absent.
func (d *directive) duration(key string, allowZero bool) (time.Duration, []Problem) {
	o, ok := d.opts[key]
	if !ok {
		return 0, nil
	}
	v, err := time.ParseDuration(o.value)
	switch {
	case err != nil:
		return 0, []Problem{{o.pos, fmt.Sprintf("%s=%s: not a duration (Go syntax: 90s, 1m30s, 24h): %s", key, o.value, strings.TrimPrefix(err.Error(), "time: "))}}
	case v < 0 || (v == 0 && !allowZero):
		want := "positive"
		if allowZero {
			want = "zero or positive"
		}
		return 0, []Problem{{o.pos, fmt.Sprintf("%s=%s: must be %s", key, o.value, want)}}
	}
	return v, nil
}

var prefixPattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)

// apply sets the directive's options on t.
func (d *directive) apply(t *Type) []Problem {
	var problems []Problem
	add := func(ps []Problem) { problems = append(problems, ps...) }
	t.Prefix = t.Name
	if o, ok := d.opts["prefix"]; ok {
		if !prefixPattern.MatchString(o.value) {
			add([]Problem{{o.pos, fmt.Sprintf("prefix=%s: use letters, digits and _ . : - only", o.value)}})
		} else {
			t.Prefix = o.value
		}
	}
	var ps []Problem
	t.TTL, ps = d.duration("ttl", false)
	add(ps)
	if d.kind != Window {
		return problems
	}
	t.Size, ps = d.duration("size", false)
	add(ps)
	if _, ok := d.opts["size"]; !ok {
		add([]Problem{{d.pos, "//statekit:window needs size=, the window's length (e.g. size=1m)"}})
	}
	t.Slide, ps = d.duration("slide", false)
	add(ps)
	if t.Slide == 0 {
		t.Slide = t.Size
	}
	if o, ok := d.opts["slide"]; ok && t.Size > 0 && t.Slide > t.Size {
		add([]Problem{{o.pos, fmt.Sprintf("slide=%v is longer than size=%v: windows would leave gaps", t.Slide, t.Size)}})
	}
	t.Lateness, ps = d.duration("lateness", true)
	add(ps)
	// The runtime refuses the same (runtime.WindowSpec.Validate), by the same
	// functions; here with the option's position.
	if t.Size > 0 && t.Slide > 0 && t.Slide <= t.Size {
		if n := runtime.WindowsPerEvent(t.Size, t.Slide); n > runtime.MaxWindowsPerEvent {
			pos := d.pos
			if o, ok := d.opts["slide"]; ok {
				pos = o.pos
			}
			add([]Problem{{pos, fmt.Sprintf("slide=%s puts each event in %d windows of size=%s; at most %d are allowed (each Add writes to every one)",
				DurationText(t.Slide), n, DurationText(t.Size), runtime.MaxWindowsPerEvent)}})
		}
	}
	if o, ok := d.opts["ttl"]; ok && t.TTL > 0 && t.Size > 0 && t.Lateness >= 0 {
		if least := stateimpl.MinWindowTTL(t.Size, t.Lateness); t.TTL <= least {
			add([]Problem{{o.pos, fmt.Sprintf("ttl=%s is not longer than size + lateness (%v): window state would expire before its window fires",
				o.value, DurationText(least))}})
		}
	}
	return problems
}

// DurationText prints d as a user would write it: 1m5s, not 1m5s0ms; 1h, not
// 1h0m0s. Generated doc comments use it too.
func DurationText(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

package stateimpl

import (
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestRFC3339MatchesTimePackage holds the fast formatter and parser to the time
// package: the same text for any UTC time of years 0-9999, and the same time
// (or a refusal the caller then hands to time.Parse) for any text.
func TestRFC3339MatchesTimePackage(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		tm := time.Date(rapid.IntRange(0, 9999).Draw(rt, "year"), time.Month(rapid.IntRange(1, 12).Draw(rt, "month")),
			rapid.IntRange(1, 31).Draw(rt, "day"), rapid.IntRange(0, 23).Draw(rt, "hour"), rapid.IntRange(0, 59).Draw(rt, "min"),
			rapid.IntRange(0, 59).Draw(rt, "sec"), rapid.SampledFrom([]int{0, 1, 10, 100, 1e8, 123456789, 999999999, 500000000}).Draw(rt, "ns"), time.UTC)
		if zone := rapid.IntRange(-14, 14).Draw(rt, "zone"); zone != 0 { // any location: written in UTC
			tm = tm.In(time.FixedZone("Z", zone*3600))
		}
		if !rfc3339Years(tm) {
			return
		}
		got := string(appendRFC3339UTC(nil, tm))
		if want := tm.UTC().Format(time.RFC3339Nano); got != want {
			rt.Fatalf("appendRFC3339UTC(%v) = %s, want %s", tm, got, want)
		}
		if y := tm.UTC().Year(); !rfc3339Years(tm) != (y < 0 || y > 9999) {
			rt.Fatalf("rfc3339Years(%v) disagrees with year %d", tm, y)
		}
		back, ok := parseRFC3339UTC([]byte(got))
		want, err := time.Parse(time.RFC3339, got)
		if !ok || err != nil || back != want {
			rt.Fatalf("parse %s: %v %v, time.Parse %v %v", got, back, ok, want, err)
		}
	})
	rapid.Check(t, func(rt *rapid.T) {
		s := rapid.SampledFrom([]string{
			"2026-02-29T00:00:00Z", "2024-02-29T23:59:59.5Z", "2026-13-01T00:00:00Z", "2026-04-31T00:00:00Z",
			"2026-01-01T24:00:00Z", "2026-01-01T00:00:60Z", "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00.1234567891Z",
			"2026-01-01T00:00:00+01:00", "2026-01-01 00:00:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z",
		}).Draw(rt, "s")
		b := []byte(s)
		if i := rapid.IntRange(-1, len(b)-1).Draw(rt, "i"); i >= 0 {
			b[i] = rapid.Byte().Draw(rt, "c")
		}
		got, ok := parseRFC3339UTC(b)
		want, err := time.Parse(time.RFC3339, string(b))
		if ok && (err != nil || got != want) {
			rt.Fatalf("parse %q = %v; time.Parse = %v, %v", b, got, want, err)
		}
	})
}

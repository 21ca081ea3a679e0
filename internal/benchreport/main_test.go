package main

import (
	"bytes"
	"strings"
	"testing"
)

const sample = `goos: linux
BenchmarkGet/statekit-2         	 100	       100.0 ns/op	     112 B/op	       1 allocs/op
BenchmarkGet/sync.Map-2         	 100	       250.0 ns/op	     112 B/op	       1 allocs/op
BenchmarkGet/statekit-2         	 100	       120.0 ns/op	     112 B/op	       1 allocs/op
BenchmarkGet/sync.Map-2         	 100	       150.0 ns/op	     112 B/op	       1 allocs/op
BenchmarkGet/statekit-2         	 100	       110.0 ns/op	     112 B/op	       1 allocs/op
BenchmarkGet/sync.Map-2         	 100	       220.0 ns/op	     112 B/op	       1 allocs/op
BenchmarkAlone-2                	 100	       5 ns/op
BenchmarkLoad/1M/statekit-2     	 1	       9 ns/op	 2000000 entries/s
BenchmarkLoad/1M/badger-2       	 1	       9 ns/op	 1000000 entries/s
PASS
`

func TestReport(t *testing.T) {
	groups, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	report(&out, groups)
	got := out.String()
	for _, want := range []string{
		"Get (median ns/op of 3 runs; ratio = peer / statekit)",
		"statekit                            110.0      -",  // median of 100, 120, 110
		"sync.Map                            220.0   2.00x", // median of 250, 150, 220
		"Load/1M",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Alone") {
		t.Errorf("a benchmark without peers was reported:\n%s", got)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{4, 1}, 2.5}, {[]float64{5, 1, 3}, 3}} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

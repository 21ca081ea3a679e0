// Command benchreport reads `go test -bench` output and prints, for every
// benchmark with sub-benchmarks, each implementation's median next to the
// statekit one and their ratio. Sub-benchmarks named "statekit" (or starting
// with "statekit") are statekit; the others are its peers.
//
//	go test -bench . -count 6 ./... | go run ./internal/benchreport
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

func main() {
	groups, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	report(os.Stdout, groups)
}

// group is one benchmark's implementations, in the order first seen.
type group struct {
	name  string
	impls []*impl
}

type impl struct {
	name    string
	metrics map[string][]float64 // unit -> one value per run
	units   []string             // in the order first seen
}

// line matches "BenchmarkName/sub-2   1000   123.4 ns/op   56 B/op ...".
var line = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

func parse(r io.Reader) ([]*group, error) {
	var groups []*group
	byName := map[string]*group{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		full := m[1]
		slash := strings.LastIndexByte(full, '/')
		if slash < 0 {
			continue // no sub-benchmarks: nothing to compare
		}
		gname, iname := full[:slash], full[slash+1:]
		g := byName[gname]
		if g == nil {
			g = &group{name: gname}
			byName[gname] = g
			groups = append(groups, g)
		}
		var im *impl
		for _, x := range g.impls {
			if x.name == iname {
				im = x
			}
		}
		if im == nil {
			im = &impl{name: iname, metrics: map[string][]float64{}}
			g.impls = append(g.impls, im)
		}
		fields := strings.Fields(m[2])
		for i := 0; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				continue
			}
			unit := fields[i+1]
			if _, seen := im.metrics[unit]; !seen {
				im.units = append(im.units, unit)
			}
			im.metrics[unit] = append(im.metrics[unit], v)
		}
	}
	return groups, sc.Err()
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// higherIsBetter reports whether a larger value of unit is better.
func higherIsBetter(unit string) bool {
	return strings.HasSuffix(unit, "/s") || strings.HasPrefix(unit, "MB/s")
}

func report(w io.Writer, groups []*group) {
	for _, g := range groups {
		var ref *impl
		for _, im := range g.impls {
			if strings.HasPrefix(im.name, "statekit") {
				ref = im
				break
			}
		}
		if ref == nil || len(g.impls) < 2 {
			continue
		}
		unit := ref.units[0] // ns/op, or the first custom metric
		fmt.Fprintf(w, "\n%s (median %s of %d runs; ratio = peer / %s)\n", g.name, unit, len(ref.metrics[unit]), ref.name)
		base := median(ref.metrics[unit])
		for _, im := range g.impls {
			v := median(im.metrics[unit])
			extra := ""
			for _, u := range im.units[1:] {
				extra += fmt.Sprintf("  %s %s", format(median(im.metrics[u])), u)
			}
			ratio := "     -"
			if im != ref && base > 0 {
				ratio = fmt.Sprintf("%6.2fx", v/base)
				if higherIsBetter(unit) {
					ratio = fmt.Sprintf("%6.2fx", base/v)
				}
			}
			fmt.Fprintf(w, "  %-28s %12s %s%s\n", im.name, format(v), ratio, extra)
		}
	}
}

func format(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

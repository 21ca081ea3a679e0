package gen

import (
	"fmt"
	"go/token"
	"path/filepath"
	"sort"
	"strings"
)

// Problem is one thing wrong with the input, at a position.
type Problem struct {
	Pos token.Position
	Msg string
}

// String formats the problem as file.go:LINE:COL: message, with the file's
// base name, as go generate runs in the package's directory. A problem with no
// place in the source (a flag naming a type that does not exist, say) is
// "stategen: message".
func (p Problem) String() string {
	if p.Pos.Filename == "" {
		return "stategen: " + p.Msg
	}
	return fmt.Sprintf("%s:%d:%d: %s", filepath.Base(p.Pos.Filename), p.Pos.Line, p.Pos.Column, p.Msg)
}

// Problems is every problem found, sorted by position. As an error it lists
// them one per line.
type Problems []Problem

// Error lists the problems, one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

func (ps Problems) sorted() Problems {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i].Pos, ps[j].Pos
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return ps
}

// suggest returns ` (did you mean "x"?)` for the candidate closest to got, if
// it is close enough to be a likely typo, else "".
func suggest(got string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := distance(strings.ToLower(got), c); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" || bestDist > max(1, len(got)/3) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the Levenshtein edit distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// suggestExact is suggest for case-sensitive names such as Go identifiers:
// ` (did you mean "x"?)` for a close candidate, or the list of candidates
// when there are few and none is close.
func suggestExact(got string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := distance(got, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best != "" && bestDist <= max(1, len(got)/3) {
		return fmt.Sprintf(" (did you mean %s?)", best)
	}
	if len(candidates) > 0 && len(candidates) <= 5 {
		return "; it has " + strings.Join(candidates, ", ")
	}
	return ""
}

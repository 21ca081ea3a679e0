package templates

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"
)

// docWidth is where generated doc comments wrap.
const docWidth = 80

// comment writes a doc comment, formatted as fmt.Sprintf does, wrapped at
// docWidth columns.
func comment(f *jen.File, format string, args ...any) {
	for _, line := range wrap(fmt.Sprintf(format, args...), docWidth-len("// ")) {
		f.Comment(line)
	}
}

// wrap breaks text into lines of at most width bytes at spaces; a word longer
// than width gets a line of its own.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		switch {
		case line == "":
			line = w
		case len(line)+1+len(w) <= width:
			line += " " + w
		default:
			lines = append(lines, line)
			line = w
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

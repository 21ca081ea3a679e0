package gen_test

import (
	"testing"

	"github.com/statekit/statekit/gen"
)

func TestUnexported(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ClickWindow", "clickWindow"},
		{"URLCount", "urlCount"},
		{"ID", "id"},
		{"IDs", "ids"},
		{"URLsSeen", "urlsSeen"},
		{"HTTP2Stats", "http2Stats"},
		{"X", "x"},
		{"clicks", "clicks"},
		{"_under", "_under"},
		{"Ωmega", "ωmega"},
	}
	for _, tc := range tests {
		if got := gen.Unexported(tc.in); got != tc.want {
			t.Errorf("Unexported(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

package shadow

import testing_ "testing"

// testing is taken in a test file: the generated test file must import
// package testing under another name.
var testing = 10

func TestShadowNames(t *testing_.T) {
	_ = context{}
	_, _, _, _, _, _ = runtime, runtime1, iter, fmt, strconv, time
	_, _, _, _, _, _ = bytes, math, rand, reflect, quick, testing
}

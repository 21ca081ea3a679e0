package stale

// A was annotated, and had a key field ID, when a_state.go was generated.
type A struct {
	Name string
}

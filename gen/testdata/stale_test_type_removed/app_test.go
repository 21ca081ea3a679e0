package app

// Fixture was annotated when app_test_state_test.go was generated.
type Fixture struct {
	Name string
}

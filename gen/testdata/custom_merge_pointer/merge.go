package merge

//statekit:window size=5m
type Session struct {
	User   string `statekit:"key"`
	Events []string
}

// Merge appends other's events to s's.
func (s *Session) Merge(other *Session) {
	s.Events = append(s.Events, other.Events...)
}

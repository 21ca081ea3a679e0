package clicks

// PageViews counts page views per page, per minute.
//
//statekit:window size=1m
type PageViews struct {
	Page  string `statekit:"key"`
	Views uint32 `statekit:"count"`
}

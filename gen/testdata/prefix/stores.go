package stores

// Totals keeps its state under "a/totals_v2/", so that renaming the type
// does not orphan stored values.
//
//statekit:aggregate prefix=totals_v2
type MerchantTotals struct {
	Merchant string `statekit:"key"`
	Amount   int64  `statekit:"sum"`
}

//statekit:window size=1h prefix=orders.hourly
type OrdersPerHour struct {
	Merchant string `statekit:"key"`
	Orders   int64  `statekit:"count"`
}

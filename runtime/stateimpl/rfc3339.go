package stateimpl

import "time"

// appendRFC3339UTC appends t, which must lie in the years 0-9999, as
// t.UTC().AppendFormat(dst, time.RFC3339Nano) does, several times faster: the
// calendar date from the Unix day (Hinnant's days-to-civil algorithm), digits
// by hand, nanoseconds with trailing zeros dropped (none at all when zero),
// and "Z".
func appendRFC3339UTC(dst []byte, t time.Time) []byte {
	unix := t.Unix()
	days, secs := unix/86400, unix%86400
	if secs < 0 {
		days, secs = days-1, secs+86400
	}
	year, month, day := civil(days)
	hour, minute, sec := int(secs/3600), int(secs/60%60), int(secs%60)
	dst = append(dst,
		pairs[2*(year/100)], pairs[2*(year/100)+1], pairs[2*(year%100)], pairs[2*(year%100)+1], '-',
		pairs[2*month], pairs[2*month+1], '-',
		pairs[2*day], pairs[2*day+1], 'T',
		pairs[2*hour], pairs[2*hour+1], ':',
		pairs[2*minute], pairs[2*minute+1], ':',
		pairs[2*sec], pairs[2*sec+1])
	ns := t.Nanosecond()
	if ns == 0 {
		return append(dst, 'Z')
	}
	// Nine digits in pairs, then drop the trailing zeros.
	a, b, c, d, e := ns/10000000, ns/100000%100, ns/1000%100, ns/10%100, ns%10
	frac := [11]byte{'.', pairs[2*a], pairs[2*a+1], pairs[2*b], pairs[2*b+1], pairs[2*c], pairs[2*c+1], pairs[2*d], pairs[2*d+1], byte('0' + e), 'Z'}
	n := 10
	for frac[n-1] == '0' {
		n--
	}
	frac[n] = 'Z'
	return append(dst, frac[:n+1]...)
}

// pairs holds the two digits of 00 to 99.
const pairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

// civil converts days since 1970-01-01 to a proleptic Gregorian date
// (Howard Hinnant's days_from_civil, inverted).
func civil(days int64) (year, month, day int) {
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365]
	mp := (5*doy + 2) / 153                                // [0, 11]
	day = int(doy - (153*mp+2)/5 + 1)
	month = int(mp + 3)
	if month > 12 {
		month -= 12
	}
	year = int(yoe + era*400)
	if month <= 2 {
		year++
	}
	return year, month, day
}

// rfc3339Years reports whether t lies in the years 0-9999 that RFC 3339 (and
// so runtime.CBOREncMode) can write.
func rfc3339Years(t time.Time) bool {
	u := t.Unix()
	return u >= -62167219200 && u <= 253402300799
}

// parseRFC3339UTC parses s in the form appendRFC3339UTC writes
// (YYYY-MM-DDTHH:MM:SS, then . and 1 to 9 digits or nothing, then Z) with the
// result time.Parse(time.RFC3339, s) would give. ok is false for anything
// else, valid or not: the caller then asks time.Parse.
func parseRFC3339UTC(s []byte) (t time.Time, ok bool) {
	if len(s) < 20 || s[len(s)-1] != 'Z' || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	num := func(b []byte) (int, bool) {
		n := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	year, ok1 := num(s[0:4])
	month, ok2 := num(s[5:7])
	day, ok3 := num(s[8:10])
	hour, ok4 := num(s[11:13])
	minute, ok5 := num(s[14:16])
	sec, ok6 := num(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 ||
		day > daysIn(time.Month(month), year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	ns := 0
	switch frac := s[19 : len(s)-1]; {
	case len(frac) == 0:
	case len(frac) >= 2 && len(frac) <= 10 && frac[0] == '.':
		n, ok := num(frac[1:])
		if !ok {
			return time.Time{}, false
		}
		for range 10 - len(frac) {
			n *= 10
		}
		ns = n
	default:
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, ns, time.UTC), true
}

func daysIn(m time.Month, year int) int {
	switch m {
	case time.February:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

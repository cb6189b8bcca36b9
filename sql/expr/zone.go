package expr

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// javaZone resolves a time-zone ID as Java's ZoneId.of does: "Z", a fixed offset ("+2",
// "+02", "+0200", "+02:00", "+020000", "+02:00:00"), an offset prefixed by UTC, GMT or UT
// ("UTC+2", "GMT-05:30"), or a region ID ("Europe/London"). Three-letter abbreviations such
// as "PST" are not zone IDs and fail, as in Java.
func javaZone(id string) (*time.Location, error) {
	zoneCache.Lock()
	z, ok := zoneCache.m[id]
	zoneCache.Unlock()
	if ok {
		return z.loc, z.err
	}
	loc, err := loadJavaZone(id)
	zoneCache.Lock()
	if zoneCache.m == nil {
		zoneCache.m = map[string]zoneEntry{}
	}
	if len(zoneCache.m) < maxCachedZones {
		zoneCache.m[id] = zoneEntry{loc, err}
	}
	zoneCache.Unlock()
	return loc, err
}

// zoneCache remembers javaZone's answers: time.LoadLocation reads the zone database on every
// call. It stops growing at maxCachedZones for IDs read from data.
var zoneCache struct {
	sync.Mutex
	m map[string]zoneEntry
}

type zoneEntry struct {
	loc *time.Location
	err error
}

const maxCachedZones = 1000

func loadJavaZone(id string) (*time.Location, error) {
	if id == "Z" {
		return time.UTC, nil
	}
	if id != "" && (id[0] == '+' || id[0] == '-') {
		secs, err := parseOffset(id)
		if err != nil {
			return nil, err
		}
		return time.FixedZone(id, secs), nil
	}
	for _, prefix := range []string{"UTC", "GMT", "UT"} {
		if !strings.HasPrefix(id, prefix) {
			continue
		}
		rest := id[len(prefix):]
		if rest == "" {
			return time.UTC, nil
		}
		if rest[0] != '+' && rest[0] != '-' {
			break
		}
		secs, err := parseOffset(rest)
		if err != nil {
			return nil, err
		}
		return time.FixedZone(id, secs), nil
	}
	if id == "" || id == "Local" {
		return nil, fmt.Errorf("unknown time-zone ID: %q", id)
	}
	return time.LoadLocation(id)
}

// parseOffset reads a signed offset as ZoneOffset.of does and returns it in seconds.
func parseOffset(s string) (int, error) {
	bad := fmt.Errorf("invalid ID for ZoneOffset, invalid format: %s", s)
	if len(s) < 2 {
		return 0, bad
	}
	sign := 1
	if s[0] == '-' {
		sign = -1
	}
	body := s[1:]
	var h, m, sec string
	switch len(body) {
	case 1, 2:
		h = body
	case 4:
		h, m = body[:2], body[2:]
	case 5:
		if body[2] != ':' {
			return 0, bad
		}
		h, m = body[:2], body[3:]
	case 6:
		h, m, sec = body[:2], body[2:4], body[4:]
	case 8:
		if body[2] != ':' || body[5] != ':' {
			return 0, bad
		}
		h, m, sec = body[:2], body[3:5], body[6:]
	default:
		return 0, bad
	}
	num := func(x string, limit int) (int, bool) {
		if x == "" {
			return 0, true
		}
		for _, c := range x {
			if c < '0' || c > '9' {
				return 0, false
			}
		}
		n, err := strconv.Atoi(x)
		return n, err == nil && n <= limit
	}
	hh, ok1 := num(h, 18)
	mm, ok2 := num(m, 59)
	ss, ok3 := num(sec, 59)
	total := hh*3600 + mm*60 + ss
	if !ok1 || !ok2 || !ok3 || total > 18*3600 {
		return 0, bad
	}
	return sign * total, nil
}

// partialTimePattern is ksqlDB's TIME_PATTERN, whose length and letters fill in a partial time.
const partialTimePattern = "HH:mm:ss.SSS"

// parsePartialTimestamp reads a timestamp literal compared with ROWTIME, WINDOWSTART or
// WINDOWEND, as ksqlDB's PartialStringToTimestampParser does: "yyyy-MM-dd'T'HH:mm:ss.SSS",
// where a missing time part or trailing time fields are zero, a date alone may omit the month
// and day ("2020", "2020-05"), and the time may end with a numeric zone offset ("+0200").
// The default zone is UTC.
func parsePartialTimestamp(text string) (int64, error) {
	completeTime := func(t string) string {
		if len(t) >= len(partialTimePattern) {
			return t
		}
		rest := []byte(partialTimePattern[len(t):])
		for i, c := range rest {
			if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
				rest[i] = '0'
			}
		}
		return t + string(rest)
	}
	var date, clock, zone string
	if i := strings.IndexByte(text, 'T'); i >= 0 {
		date = text[:i]
		withZone := completeTime(text[i+1:])
		if j := strings.IndexByte(withZone, '+'); j >= 0 {
			zone = withZone[j:]
		} else if j := strings.IndexByte(withZone, '-'); j >= 0 {
			zone = withZone[j:]
		}
		clock = completeTime(withZone[:len(withZone)-len(zone)])
	} else {
		date = text
		switch strings.Count(text, "-") {
		case 0:
			date += "-01-01"
		case 1:
			date += "-01"
		}
		clock = completeTime("")
	}
	loc := time.UTC
	if strings.TrimSpace(zone) != "" {
		l, err := javaZone(zone)
		if err != nil {
			return 0, msgError(fmt.Sprintf("Failed to parse timezone '%s': %v", zone, err))
		}
		loc = l
	}
	t, err := time.ParseInLocation("2006-01-02T15:04:05.000", date+"T"+clock, loc)
	if err != nil {
		return 0, msgError(fmt.Sprintf("Text '%sT%s' could not be parsed", date, clock))
	}
	return t.UnixMilli(), nil
}

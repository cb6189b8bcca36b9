package expr

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Parsing with a javaPattern: case-insensitive, with Java's adjacent-value rule for runs of
// numbers ("yyyyMMdd") and its smart resolution of the fields read.

// jpParsed holds the fields a parse read; -1 (or nil) means absent.
type jpParsed struct {
	year, month, day, yearDay   int64
	hour, hour12, minute, sec   int64
	nano, milliOfDay, nanoOfDay int64
	pm                          int // -1 absent, 0 AM, 1 PM
	clockHour                   int64
	offset                      *int
	loc                         *time.Location
	kinds                       fieldKind
}

// parse reads s with the pattern. Fields absent from the pattern take 1970-01-01T00:00 in
// loc, as ksqlDB's StringToTimestampParser starts from; a parsed zone or offset overrides loc.
// With tail set, text after the pattern is ignored.
func (p *javaPattern) parse(s string, loc *time.Location, tail bool) (time.Time, fieldKind, error) {
	st := &jpParsed{year: -1 << 62, month: -1, day: -1, yearDay: -1, hour: -1, hour12: -1,
		minute: -1, sec: -1, nano: -1, milliOfDay: -1, nanoOfDay: -1, pm: -1, clockHour: -1}
	pos, err := parseElems(s, 0, p.elems, st)
	if err != nil {
		return time.Time{}, 0, err
	}
	if pos != len(s) && !tail {
		return time.Time{}, 0, fmt.Errorf("text '%s' could not be parsed, unparsed text found at index %d", s, pos)
	}
	return st.resolve(loc)
}

func (st *jpParsed) resolve(loc *time.Location) (time.Time, fieldKind, error) {
	year, month, day := int64(1970), int64(1), int64(1)
	if st.year != -1<<62 {
		year = st.year
	}
	if st.month >= 0 {
		month = st.month
	}
	if st.day >= 0 {
		day = st.day
	}
	hour := int64(0)
	switch {
	case st.hour >= 0:
		hour = st.hour
	case st.clockHour >= 0:
		hour = st.clockHour % 24
	case st.hour12 >= 0:
		hour = st.hour12 % 12
		if st.pm == 1 {
			hour += 12
		}
	case st.pm == 1:
		hour = 12
	}
	minute, sec, nano := max(st.minute, 0), max(st.sec, 0), max(st.nano, 0)
	if st.milliOfDay >= 0 {
		ms := st.milliOfDay
		hour, minute, sec, nano = ms/3_600_000, ms/60_000%60, ms/1000%60, ms%1000*1e6
	}
	if st.nanoOfDay >= 0 {
		ns := st.nanoOfDay
		hour, minute, sec, nano = ns/3_600_000_000_000, ns/60_000_000_000%60, ns/1e9%60, ns%1e9
	}
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, 0, fmt.Errorf("invalid date or time field value")
	}
	if st.offset != nil {
		loc = time.FixedZone("", *st.offset)
	} else if st.loc != nil {
		loc = st.loc
	}
	if st.yearDay >= 0 && st.month < 0 && st.day < 0 {
		if st.yearDay < 1 || st.yearDay > 366 {
			return time.Time{}, 0, fmt.Errorf("invalid day of year %d", st.yearDay)
		}
		t := time.Date(int(year), 1, 1, int(hour), int(minute), int(sec), int(nano), loc).AddDate(0, 0, int(st.yearDay-1))
		if t.Year() != int(year) {
			return time.Time{}, 0, fmt.Errorf("invalid day of year %d", st.yearDay)
		}
		return t, st.kinds, nil
	}
	// Java's smart resolver moves a day past the month's end back to its last day.
	last := time.Date(int(year), time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	day = min(day, int64(last))
	return time.Date(int(year), time.Month(month), int(day), int(hour), int(minute), int(sec), int(nano), loc), st.kinds, nil
}

// numericWidth is the (min, max) digits a numeric element reads.
func numericWidth(e jpElem) (int, int, bool) {
	switch e.letter {
	case 'y', 'u':
		switch e.count {
		case 1:
			return 1, 19, true
		case 2:
			return 2, 2, true
		}
		return e.count, 19, true
	case 'M', 'L':
		if e.count >= 3 {
			return 0, 0, false
		}
		if e.count == 2 {
			return 2, 2, true
		}
		return 1, 19, true
	case 'd', 'H', 'k', 'K', 'h', 'm', 's':
		if e.count == 2 {
			return 2, 2, true
		}
		return 1, 19, true
	case 'D':
		return e.count, 3, true
	case 'S':
		return e.count, e.count, true
	case 'n', 'A', 'N':
		return e.count, 19, true
	}
	return 0, 0, false
}

// matchFold reports whether s at pos starts with t, ignoring case.
func matchFold(s string, pos int, t string) bool {
	return len(s)-pos >= len(t) && strings.EqualFold(s[pos:pos+len(t)], t)
}

// matchName finds which of names (full or three-letter forms) s has at pos.
func matchName(s string, pos int, names []string, count int) (int, int, bool) {
	for i, n := range names {
		if count == 4 && matchFold(s, pos, n) {
			return i, len(n), true
		}
	}
	for i, n := range names {
		if count < 4 && matchFold(s, pos, n[:3]) {
			return i, 3, true
		}
	}
	return 0, 0, false
}

// parseOffsetText reads a signed offset ("+02", "+0200", "+02:00", "+020000") at pos.
func parseOffsetText(s string, pos int, colon bool) (int, int, bool) {
	if pos >= len(s) || s[pos] != '+' && s[pos] != '-' {
		return 0, pos, false
	}
	sign := 1
	if s[pos] == '-' {
		sign = -1
	}
	i := pos + 1
	two := func() (int, bool) {
		if i+2 > len(s) || !isDigit(s[i]) || !isDigit(s[i+1]) {
			return 0, false
		}
		v := int(s[i]-'0')*10 + int(s[i+1]-'0')
		i += 2
		return v, true
	}
	h, ok := two()
	if !ok || h > 18 {
		return 0, pos, false
	}
	total := h * 3600
	for _, mul := range []int{60, 1} {
		save := i
		if colon {
			if i >= len(s) || s[i] != ':' {
				break
			}
			i++
		}
		v, ok := two()
		if !ok || v > 59 {
			i = save
			break
		}
		total += v * mul
	}
	return sign * total, i, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// zoneAbbreviations maps the zone names Java's zone-text parser knows to zone IDs, so that
// "PST" follows America/Los_Angeles' daylight-saving rules as in Java.
var zoneAbbreviations = map[string]string{
	"UTC": "UTC", "GMT": "UTC", "UT": "UTC", "Z": "UTC",
	"PST": "America/Los_Angeles", "PDT": "America/Los_Angeles", "PT": "America/Los_Angeles",
	"MST": "America/Denver", "MDT": "America/Denver", "MT": "America/Denver",
	"CST": "America/Chicago", "CDT": "America/Chicago", "CT": "America/Chicago",
	"EST": "America/New_York", "EDT": "America/New_York", "ET": "America/New_York",
	"AKST": "America/Anchorage", "AKDT": "America/Anchorage", "HST": "Pacific/Honolulu",
	"BST": "Europe/London", "WET": "WET", "WEST": "WET", "CET": "CET", "CEST": "CET",
	"EET": "EET", "EEST": "EET", "MSK": "Europe/Moscow", "IST": "Asia/Kolkata",
	"JST": "Asia/Tokyo", "KST": "Asia/Seoul", "AEST": "Australia/Sydney", "AEDT": "Australia/Sydney",
	"NZST": "Pacific/Auckland", "NZDT": "Pacific/Auckland",
}

// parseZoneText reads a zone ID ("Europe/London", "UTC+01:00") or a known zone name ("PST").
func parseZoneText(s string, pos int) (*time.Location, int, bool) {
	end := pos
	for end < len(s) && (s[end] >= 'a' && s[end] <= 'z' || s[end] >= 'A' && s[end] <= 'Z' ||
		s[end] == '/' || s[end] == '_' || s[end] == '+' || s[end] == '-' || s[end] == ':' || isDigit(s[end])) {
		end++
	}
	end = min(end, pos+64) // zone IDs are short
	for ; end > pos; end-- {
		tok := s[pos:end]
		if id, ok := zoneAbbreviations[strings.ToUpper(tok)]; ok {
			if loc, err := javaZone(id); err == nil {
				return loc, end, true
			}
		}
		if loc, err := javaZone(tok); err == nil {
			return loc, end, true
		}
	}
	return nil, pos, false
}

func parseElems(s string, pos int, elems []jpElem, st *jpParsed) (int, error) {
	fail := func() (int, error) {
		return pos, fmt.Errorf("text '%s' could not be parsed at index %d", s, pos)
	}
	for i, e := range elems {
		st.kinds |= e.kind()
		switch e.letter {
		case 0:
			if !matchFold(s, pos, e.text) {
				return fail()
			}
			pos += len(e.text)
			continue
		case '[':
			saved := *st
			if p, err := parseElems(s, pos, e.group, st); err == nil {
				pos = p
			} else {
				*st = saved
			}
			continue
		}
		if lo, hi, ok := numericWidth(e); ok {
			avail := 0
			for pos+avail < len(s) && isDigit(s[pos+avail]) {
				avail++
			}
			// Adjacent value parsing: a variable-width field leaves the digits the fixed-width
			// numeric fields right after it need.
			if lo != hi {
				reserve := 0
				for _, next := range elems[i+1:] {
					nlo, nhi, ok := numericWidth(next)
					if !ok || nlo != nhi {
						break
					}
					reserve += nlo
				}
				if reserve > 0 {
					hi = min(hi, avail-reserve)
				}
			}
			take := min(avail, hi)
			if take < lo || take == 0 {
				return fail()
			}
			digits := s[pos : pos+take]
			pos += take
			if e.letter == 'S' {
				digits += strings.Repeat("0", 9-len(digits))
			}
			v, err := strconv.ParseInt(digits, 10, 64)
			if err != nil {
				return fail()
			}
			switch e.letter {
			case 'y', 'u':
				if e.count == 2 {
					v += 2000
				}
				st.year = v
			case 'M', 'L':
				st.month = v
			case 'd':
				st.day = v
			case 'D':
				st.yearDay = v
			case 'H':
				st.hour = v
			case 'k':
				st.clockHour = v
			case 'K':
				st.hour12 = v
			case 'h':
				st.hour12 = v % 12
			case 'm':
				st.minute = v
			case 's':
				st.sec = v
			case 'S', 'n':
				st.nano = v
			case 'A':
				st.milliOfDay = v
			case 'N':
				st.nanoOfDay = v
			}
			continue
		}
		switch e.letter {
		case 'G':
			switch {
			case matchFold(s, pos, "Anno Domini"):
				pos += len("Anno Domini")
			case matchFold(s, pos, "AD"):
				pos += 2
			default:
				return fail()
			}
		case 'M', 'L':
			m, n, ok := matchName(s, pos, monthNames, e.count)
			if !ok {
				return fail()
			}
			st.month, pos = int64(m+1), pos+n
		case 'E':
			_, n, ok := matchName(s, pos, dayNames, e.count)
			if !ok {
				return fail()
			}
			pos += n
		case 'a':
			switch {
			case matchFold(s, pos, "AM"):
				st.pm = 0
			case matchFold(s, pos, "PM"):
				st.pm = 1
			default:
				return fail()
			}
			pos += 2
		case 'X', 'x', 'Z', 'O':
			if e.letter == 'O' || e.letter == 'Z' && e.count == 4 {
				if !matchFold(s, pos, "GMT") {
					return fail()
				}
				pos += 3
				off, p, ok := parseOffsetText(s, pos, e.count == 4)
				if ok {
					pos = p
				}
				st.offset = &off
				continue
			}
			colon, _, _, zero := offsetStyle(e)
			if zero == "Z" && matchFold(s, pos, "Z") {
				off := 0
				st.offset, pos = &off, pos+1
				continue
			}
			off, p, ok := parseOffsetText(s, pos, colon)
			if !ok {
				return fail()
			}
			st.offset, pos = &off, p
		case 'z', 'V':
			loc, p, ok := parseZoneText(s, pos)
			if !ok {
				return fail()
			}
			st.loc, pos = loc, p
		}
	}
	return pos, nil
}

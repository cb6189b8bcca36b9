package expr

import (
	"sync"
	"time"

	"github.com/streamlite/streamlite/sql/types"
)

// The date/time formatting functions take java.time patterns (javaPattern). A pattern or text
// that does not parse gives NULL; an optional last argument names a time zone (default UTC).

// zoneOf returns the location named by the optional time-zone argument.
func zoneOf(a []types.Value, i int) (*time.Location, bool) {
	if len(a) <= i {
		return time.UTC, true
	}
	z, ok := a[i].(string)
	if !ok {
		return nil, false
	}
	loc, err := javaZone(z)
	if err != nil {
		return nil, false
	}
	return loc, true
}

// patternCache holds compiled patterns; patterns usually are literals, so it stays small,
// and it stops growing at maxCachedPatterns for patterns read from data.
var patternCache struct {
	sync.Mutex
	m map[string]*javaPattern
}

const maxCachedPatterns = 1000

// javaPatternOf compiles pattern, through the cache.
func javaPatternOf(pattern string) (*javaPattern, error) {
	patternCache.Lock()
	p, ok := patternCache.m[pattern]
	patternCache.Unlock()
	if ok {
		return p, nil
	}
	p, err := compileJavaPattern(pattern)
	if err != nil {
		return nil, err
	}
	patternCache.Lock()
	if patternCache.m == nil {
		patternCache.m = map[string]*javaPattern{}
	}
	if len(patternCache.m) < maxCachedPatterns {
		patternCache.m[pattern] = p
	}
	patternCache.Unlock()
	return p, nil
}

// formatMillis formats epoch milliseconds in loc; have says which fields the value carries
// (a pattern asking for others fails).
func formatMillis(ms int64, pattern string, loc *time.Location, have fieldKind) (types.Value, error) {
	p, err := javaPatternOf(pattern)
	if err != nil {
		return nil, err
	}
	s, err := p.format(time.UnixMilli(ms).In(loc), have)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// parseMillis parses s with pattern into epoch milliseconds, in loc unless the text names a
// zone; with tail set, text after the pattern is ignored. It also returns the kinds of field
// the pattern reads.
func parseMillis(s, pattern string, loc *time.Location, tail bool) (int64, fieldKind, error) {
	p, err := javaPatternOf(pattern)
	if err != nil {
		return 0, 0, err
	}
	t, kinds, err := p.parse(s, loc, tail)
	if err != nil {
		return 0, 0, err
	}
	return t.UnixMilli(), kinds, nil
}

const allFields = dateField | timeField | zoneField

func timeFormatFuncs(name string) []overload {
	msFormat := func(ms func(types.Value) int64) func(a []types.Value, _ []types.Type) (types.Value, error) {
		return func(a []types.Value, _ []types.Type) (types.Value, error) {
			loc, ok := zoneOf(a, 2)
			if !ok {
				return nil, nil
			}
			return formatMillis(ms(a[0]), a[1].(string), loc, allFields)
		}
	}
	parse := func(conv func(int64) types.Value) func(a []types.Value, _ []types.Type) (types.Value, error) {
		return func(a []types.Value, _ []types.Type) (types.Value, error) {
			loc, ok := zoneOf(a, 2)
			if !ok {
				return nil, nil
			}
			ms, _, err := parseMillis(a[0].(string), a[1].(string), loc, false)
			if err != nil {
				return nil, err
			}
			return conv(ms), nil
		}
	}
	with := func(params []param, ret types.Type, call func(a []types.Value, _ []types.Type) (types.Value, error)) []overload {
		return []overload{
			{params: params, ret: retT(ret), call: call},
			{params: append(append([]param(nil), params...), pStr), ret: retT(ret), call: call},
		}
	}
	switch name {
	case "TIMESTAMPTOSTRING":
		return with([]param{pBigint, pStr}, types.TString(), msFormat(func(v types.Value) int64 { return v.(int64) }))
	case "FORMAT_TIMESTAMP":
		return with([]param{pTs, pStr}, types.TString(), msFormat(func(v types.Value) int64 { return int64(v.(types.Timestamp)) }))
	case "STRINGTOTIMESTAMP":
		return with([]param{pStr, pStr}, types.TBigint(), parse(func(ms int64) types.Value { return ms }))
	case "PARSE_TIMESTAMP":
		return with([]param{pStr, pStr}, types.TTimestamp(), parse(func(ms int64) types.Value { return types.Timestamp(ms) }))
	case "FORMAT_DATE", "DATETOSTRING":
		p := []param{pDate, pStr}
		days := func(v types.Value) int64 { return int64(v.(types.Date)) }
		if name == "DATETOSTRING" {
			p = []param{pInt, pStr}
			days = func(v types.Value) int64 { return int64(v.(int32)) }
		}
		return []overload{{params: p, ret: retT(types.TString()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			return formatMillis(days(a[0])*types.MsPerDay, a[1].(string), time.UTC, dateField)
		}}}
	case "PARSE_DATE", "STRINGTODATE":
		// A pattern with time fields fails ("Date format contains time field"). PARSE_DATE
		// ignores text after the pattern ("2003-12-24-01-01" with yyyy-MM-dd is 2003-12-24).
		ret := types.TDate()
		conv := func(d int64) types.Value { return types.Date(d) }
		if name == "STRINGTODATE" {
			ret, conv = types.TInt(), func(d int64) types.Value { return int32(d) }
		}
		return []overload{{params: []param{pStr, pStr}, ret: retT(ret), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			ms, kinds, err := parseMillis(a[0].(string), a[1].(string), time.UTC, name == "PARSE_DATE")
			if err != nil || kinds&timeField != 0 {
				return nil, errBadArg
			}
			return conv(floorDivMs(ms)), nil
		}}}
	case "FORMAT_TIME":
		return []overload{{params: []param{pTime, pStr}, ret: retT(types.TString()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			return formatMillis(int64(a[0].(types.Time)), a[1].(string), time.UTC, timeField)
		}}}
	case "PARSE_TIME":
		return []overload{{params: []param{pStr, pStr}, ret: retT(types.TTime()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			ms, _, err := parseMillis(a[0].(string), a[1].(string), time.UTC, false)
			if err != nil {
				return nil, err
			}
			return types.Time(ms - floorDivMs(ms)*types.MsPerDay), nil
		}}}
	}
	return nil
}

// floorDivMs is the day of ms since the epoch, rounding down.
func floorDivMs(ms int64) int64 {
	d := ms / types.MsPerDay
	if ms%types.MsPerDay < 0 {
		d--
	}
	return d
}

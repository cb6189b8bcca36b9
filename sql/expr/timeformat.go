package expr

import (
	"time"

	"github.com/streamlite/streamlite/sql/types"
)

// The date/time formatting functions, with Java patterns
// (types.JavaLayout). A pattern or text that does not parse gives NULL;
// an optional last argument names a time zone (default UTC).

// zoneOf returns the location named by the optional time-zone argument.
func zoneOf(a []types.Value, i int) (*time.Location, bool) {
	if len(a) <= i {
		return time.UTC, true
	}
	z, ok := a[i].(string)
	if !ok {
		return nil, false
	}
	loc, err := time.LoadLocation(z)
	if err != nil {
		return nil, false
	}
	return loc, true
}

func formatMillis(ms int64, pattern string, loc *time.Location) (types.Value, error) {
	layout, err := types.JavaLayout(pattern)
	if err != nil {
		return nil, nil
	}
	return time.UnixMilli(ms).In(loc).Format(layout), nil
}

func parseMillis(s, pattern string, loc *time.Location) (int64, bool) {
	layout, err := types.JavaLayout(pattern)
	if err != nil {
		return 0, false
	}
	t, err := time.ParseInLocation(layout, s, loc)
	if err != nil {
		return 0, false
	}
	return t.UnixMilli(), true
}

func timeFormatFuncs(name string) []overload {
	msFormat := func(ms func(types.Value) int64) func(a []types.Value, _ []types.Type) (types.Value, error) {
		return func(a []types.Value, _ []types.Type) (types.Value, error) {
			loc, ok := zoneOf(a, 2)
			if !ok {
				return nil, nil
			}
			return formatMillis(ms(a[0]), a[1].(string), loc)
		}
	}
	parse := func(conv func(int64) types.Value) func(a []types.Value, _ []types.Type) (types.Value, error) {
		return func(a []types.Value, _ []types.Type) (types.Value, error) {
			loc, ok := zoneOf(a, 2)
			if !ok {
				return nil, nil
			}
			ms, ok := parseMillis(a[0].(string), a[1].(string), loc)
			if !ok {
				return nil, nil
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
			return formatMillis(days(a[0])*types.MsPerDay, a[1].(string), time.UTC)
		}}}
	case "PARSE_DATE", "STRINGTODATE":
		ret := types.TDate()
		conv := func(d int64) types.Value { return types.Date(d) }
		if name == "STRINGTODATE" {
			ret, conv = types.TInt(), func(d int64) types.Value { return int32(d) }
		}
		return []overload{{params: []param{pStr, pStr}, ret: retT(ret), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			ms, ok := parseMillis(a[0].(string), a[1].(string), time.UTC)
			if !ok {
				return nil, nil
			}
			return conv(floorDivMs(ms)), nil
		}}}
	case "FORMAT_TIME":
		return []overload{{params: []param{pTime, pStr}, ret: retT(types.TString()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			return formatMillis(int64(a[0].(types.Time)), a[1].(string), time.UTC)
		}}}
	case "PARSE_TIME":
		return []overload{{params: []param{pStr, pStr}, ret: retT(types.TTime()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			ms, ok := parseMillis(a[0].(string), a[1].(string), time.UTC)
			if !ok {
				return nil, nil
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

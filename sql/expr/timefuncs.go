package expr

import (
	"time"

	"github.com/streamlite/streamlite/sql/types"
)

// now is the clock UNIX_TIMESTAMP() and UNIX_DATE() read; tests replace it.
var now = time.Now

func timeFuncs(name string) []overload {
	switch name {
	case "UNIX_TIMESTAMP":
		// UNIX_TIMESTAMP() is the current time in epoch milliseconds.
		return []overload{
			{ret: retT(types.TBigint()), call: func([]types.Value, []types.Type) (types.Value, error) {
				return now().UnixMilli(), nil
			}},
			{params: []param{pTs}, ret: retT(types.TBigint()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
				return int64(a[0].(types.Timestamp)), nil
			}},
		}
	case "UNIX_DATE":
		// UNIX_DATE() is the current date (UTC) in days since the epoch.
		return []overload{
			{ret: retT(types.TInt()), call: func([]types.Value, []types.Type) (types.Value, error) {
				return int32(floorDivMs(now().UnixMilli())), nil
			}},
			{params: []param{pDate}, ret: retT(types.TInt()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
				return int32(a[0].(types.Date)), nil
			}},
		}
	case "FROM_UNIXTIME":
		return []overload{{params: []param{pBigint}, ret: retT(types.TTimestamp()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			return types.Timestamp(a[0].(int64)), nil
		}}}
	case "FROM_DAYS":
		return []overload{{params: []param{pInt}, ret: retT(types.TDate()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			return types.Date(a[0].(int32)), nil
		}}}
	case "CONVERT_TZ":
		// CONVERT_TZ(ts, from, to) shifts ts by the difference of the zones' offsets at ts;
		// an unknown zone gives NULL.
		return []overload{{params: []param{pTs, pStr, pStr}, ret: retT(types.TTimestamp()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			from, err := javaZone(a[1].(string))
			if err != nil {
				return nil, err
			}
			to, err := javaZone(a[2].(string))
			if err != nil {
				return nil, err
			}
			ms := int64(a[0].(types.Timestamp))
			t := time.UnixMilli(ms)
			_, fromOff := t.In(from).Zone()
			_, toOff := t.In(to).Zone()
			return types.Timestamp(ms + int64(toOff-fromOff)*1000), nil
		}}}
	}
	return nil
}

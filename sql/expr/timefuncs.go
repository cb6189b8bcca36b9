package expr

import "github.com/streamlite/streamlite/sql/types"

func timeFuncs(name string) []overload {
	switch name {
	case "UNIX_TIMESTAMP":
		return []overload{{params: []param{pTs}, ret: retT(types.TBigint()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			return int64(a[0].(types.Timestamp)), nil
		}}}
	case "UNIX_DATE":
		return []overload{{params: []param{pDate}, ret: retT(types.TInt()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			return int32(a[0].(types.Date)), nil
		}}}
	case "FROM_UNIXTIME":
		return []overload{{params: []param{pBigint}, ret: retT(types.TTimestamp()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			return types.Timestamp(a[0].(int64)), nil
		}}}
	case "FROM_DAYS":
		return []overload{{params: []param{pInt}, ret: retT(types.TDate()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			return types.Date(a[0].(int32)), nil
		}}}
	}
	return nil
}

package expr

import (
	"strings"

	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/types"
)

// DATEADD, DATESUB, TIMEADD, TIMESUB, TIMESTAMPADD and TIMESTAMPSUB take a time unit as their first
// argument (DATEADD(DAYS, 10, d)). The parser reads the unit as a column reference, so these
// functions are compiled here rather than through the overload table: (unit, INTEGER, DATE),
// (unit, INTEGER, TIME) and (unit, INTEGER, TIMESTAMP); a STRING third argument is parsed as
// that type, as ksqlDB's implicit cast does. Any NULL argument gives NULL.

// isTimeArith reports whether name is one of the unit-taking date/time functions.
func isTimeArith(name string) bool {
	switch name {
	case "DATEADD", "DATESUB", "TIMEADD", "TIMESUB", "TIMESTAMPADD", "TIMESTAMPSUB":
		return true
	}
	return false
}

// timeUnit reads a unit keyword (singular or plural) as its length in nanoseconds.
func timeUnit(e ast.Expr) (int64, bool) {
	r, ok := e.(*ast.ColumnRef)
	if !ok || r.Qualifier != "" {
		return 0, false
	}
	var u ast.TimeUnit
	switch strings.TrimSuffix(strings.ToUpper(r.Name), "S") {
	case "NANOSECOND":
		u = ast.UnitNanosecond
	case "MICROSECOND":
		u = ast.UnitMicrosecond
	case "MILLISECOND":
		u = ast.UnitMillisecond
	case "SECOND":
		u = ast.UnitSecond
	case "MINUTE":
		u = ast.UnitMinute
	case "HOUR":
		u = ast.UnitHour
	case "DAY":
		u = ast.UnitDay
	default:
		return 0, false
	}
	return u.Nanos(), true
}

const nanosPerMilli = 1_000_000

// nanosPerDay is the length of a day in nanoseconds.
const nanosPerDay = types.MsPerDay * nanosPerMilli

// floorMod is a modulo b with the sign of b, as Java's Math.floorMod.
func floorMod(a, b int64) int64 {
	m := a % b
	if m != 0 && (m < 0) != (b < 0) {
		m += b
	}
	return m
}

func (c *compiler) compileTimeArith(n *ast.FunctionCall, name string, depth int) (*compiled, error) {
	var target types.Type
	switch name {
	case "DATEADD", "DATESUB":
		target = types.TDate()
	case "TIMEADD", "TIMESUB":
		target = types.TTime()
	default:
		target = types.TTimestamp()
	}
	sub := strings.HasSuffix(name, "SUB")
	unit, isUnit := int64(0), false
	if len(n.Args) > 0 {
		unit, isUnit = timeUnit(n.Args[0])
	}
	rest := n.Args
	if isUnit {
		rest = n.Args[1:]
	}
	args, err := c.compileAll(rest, depth)
	if err != nil {
		return nil, err
	}
	ok := isUnit && len(args) == 2 &&
		(args[0].isNull() || args[0].t.Kind == types.KindInt) &&
		(args[1].isNull() || args[1].t.Equal(target) || args[1].t.Kind == types.KindString)
	if !ok {
		ats := make([]types.Type, 0, len(n.Args))
		names := []string{}
		if isUnit {
			names = append(names, "INTERVAL UNIT")
		}
		for _, a := range args {
			ats = append(ats, a.t)
		}
		list := argList(ats)
		if len(names) > 0 {
			list = "(" + strings.Join(names, ", ") + ", " + strings.TrimPrefix(list, "(")
		}
		return nil, errAt(n, "Function '%s' does not accept parameters %s.", displayName(name), list)
	}
	interval, value := args[0].eval, widenTo(args[1], target)
	return &compiled{t: target, eval: func(row []types.Value) (types.Value, error) {
		iv, err := interval(row)
		if err != nil || iv == nil {
			return nil, err
		}
		v, err := value(row)
		if err != nil || v == nil {
			return nil, err
		}
		n := int64(iv.(int32))
		if sub {
			n = -n
		}
		// Java's TimeUnit.toMillis truncates sub-millisecond units toward zero; |n| × one day
		// in milliseconds fits in an int64.
		var deltaMs int64
		if unit >= nanosPerMilli {
			deltaMs = n * (unit / nanosPerMilli)
		} else {
			deltaMs = n / (nanosPerMilli / unit)
		}
		switch x := v.(type) {
		case types.Date:
			// MILLISECONDS.toDays(date + unit.toMillis(n)) truncates toward zero.
			return types.Date((int64(x)*types.MsPerDay + deltaMs) / types.MsPerDay), nil
		case types.Time:
			// LocalTime arithmetic wraps around midnight.
			if unit >= nanosPerMilli {
				return types.Time(floorMod(int64(x)+deltaMs, types.MsPerDay)), nil
			}
			ns := floorMod(int64(x)*nanosPerMilli+n*unit, nanosPerDay)
			return types.Time(ns / nanosPerMilli), nil
		case types.Timestamp:
			return types.Timestamp(int64(x) + deltaMs), nil
		}
		return nil, nil
	}}, nil
}

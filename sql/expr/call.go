package expr

import (
	"strings"

	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/types"
)

// param matches one argument type: it returns the type the argument is converted to and a
// cost (0 exact, 1 widened); ok is false when the argument does not fit.
type param func(t types.Type) (target types.Type, cost int, ok bool)

// overload is one signature of a scalar function.
type overload struct {
	params []param
	// variadic: the last param repeats (zero or more times).
	variadic bool
	// ret computes the result type from the converted argument types.
	ret func(ts []types.Type) types.Type
	// call computes the result; args are converted to their targets. A returned error means
	// a per-record failure: the result is NULL.
	call func(args []types.Value, ts []types.Type) (types.Value, error)
	// nulls: call sees NULL arguments; otherwise any NULL argument gives NULL.
	nulls bool
	// same: the arguments share one generic type (ksqlDB's T, T...); they are converted to
	// their common type, and arguments without one do not match.
	same bool
}

// pT accepts t (cost 0) and, as implicit casts (cost 1), the types ksqlDB casts to it: a
// number to a wider number (INTEGER → BIGINT → DECIMAL → DOUBLE) and a STRING to DATE, TIME
// or TIMESTAMP. NULL matches at cost 0. A DECIMAL parameter matches every DECIMAL exactly.
func pT(t types.Type) param {
	return func(a types.Type) (types.Type, int, bool) {
		switch {
		case a.Kind == types.KindInvalid || a.Equal(t):
			return t, 0, true
		case t.Kind == types.KindDecimal && a.Kind == types.KindDecimal:
			return a, 0, true // any DECIMAL
		case t.Kind != types.KindDecimal && types.CanWiden(a, t):
			return t, 1, true
		case t.Kind == types.KindDecimal && (a.Kind == types.KindInt || a.Kind == types.KindBigint):
			d, _ := types.DecimalTypeOf(a)
			return d, 1, true
		case a.Kind == types.KindString && isTemporal(t.Kind):
			return t, 1, true
		}
		return t, 0, false
	}
}

// Parameter matchers for the common types.
func pInt(a types.Type) (types.Type, int, bool)    { return pT(types.TInt())(a) }
func pBigint(a types.Type) (types.Type, int, bool) { return pT(types.TBigint())(a) }
func pDouble(a types.Type) (types.Type, int, bool) { return pT(types.TDouble())(a) }
func pDec(a types.Type) (types.Type, int, bool)    { return pT(types.DecimalOf(1, 0))(a) } // any DECIMAL
func pStr(a types.Type) (types.Type, int, bool)    { return pT(types.TString())(a) }
func pBytes(a types.Type) (types.Type, int, bool)  { return pT(types.TBytes())(a) }
func pDate(a types.Type) (types.Type, int, bool)   { return pT(types.TDate())(a) }
func pTime(a types.Type) (types.Type, int, bool)   { return pT(types.TTime())(a) }
func pTs(a types.Type) (types.Type, int, bool)     { return pT(types.TTimestamp())(a) }

// pAny accepts any type unchanged.
func pAny(a types.Type) (types.Type, int, bool) { return a, 0, true }

// pArray accepts any ARRAY (or NULL, typed ARRAY<STRING>).
func pArray(a types.Type) (types.Type, int, bool) {
	if a.Kind == types.KindInvalid {
		return types.ArrayOf(types.TString()), 0, true
	}
	return a, 0, a.Kind == types.KindArray && a.Elem != nil
}

func retT(t types.Type) func([]types.Type) types.Type {
	return func([]types.Type) types.Type { return t }
}

// retArg returns the (converted) type of argument i.
func retArg(i int) func([]types.Type) types.Type {
	return func(ts []types.Type) types.Type { return ts[i] }
}

// displayName is the function name as ksqlDB's messages spell it: the name the function was
// registered under, lower case for nearly all built-ins.
func displayName(name string) string {
	switch name {
	case "COALESCE":
		return name
	}
	return strings.ToLower(name)
}

// argList prints argument types for messages as ksqlDB does: "(INTEGER, null)".
func argList(ats []types.Type) string {
	names := make([]string, len(ats))
	for i, t := range ats {
		if t.Kind == types.KindInvalid {
			names[i] = "null"
		} else {
			names[i] = t.String()
		}
	}
	return "(" + strings.Join(names, ", ") + ")"
}

func (c *compiler) compileCall(n *ast.FunctionCall, depth int) (*compiled, error) {
	name := strings.ToUpper(n.Name)
	if IsAggregateCall(name) {
		return nil, errAt(n, "Aggregate function %s cannot be used here: aggregates are evaluated by the planner", name)
	}
	if n.Star {
		if builtin(name, c.opts) != nil || isTimeArith(name) {
			return nil, errAt(n, "Function '%s' does not accept parameters ().", displayName(name))
		}
		return nil, errAt(n, "Can't find any functions with the name '%s'", name)
	}
	if isTimeArith(name) {
		return c.compileTimeArith(n, name, depth)
	}
	ovs := builtin(name, c.opts)
	if ovs == nil {
		return nil, errAt(n, "Can't find any functions with the name '%s'", name)
	}
	args, err := c.compileAll(n.Args, depth)
	if err != nil {
		return nil, err
	}
	ats := make([]types.Type, len(args))
	for i, a := range args {
		ats[i] = a.t
	}
	best, bestTs, ambiguous := resolve(ovs, ats)
	if ambiguous {
		return nil, errAt(n, "Function '%s' cannot be resolved due to ambiguous method parameters %s.\n"+
			"Use CAST() to explicitly cast your parameters to one of the supported function calls.",
			displayName(name), argList(ats))
	}
	if best < 0 {
		return nil, errAt(n, "Function '%s' does not accept parameters %s.", displayName(name), argList(ats))
	}
	return callOverload(ovs[best], args, bestTs), nil
}

// callOverload builds the evaluator of ov applied to args, converted to the types ts.
func callOverload(ov overload, args []*compiled, ts []types.Type) *compiled {
	evals := make([]evalFn, len(args))
	for i, a := range args {
		evals[i] = widenTo(a, ts[i])
	}
	return &compiled{t: ov.ret(ts), eval: func(row []types.Value) (types.Value, error) {
		vs := make([]types.Value, len(evals))
		for i, e := range evals {
			v, err := e(row)
			if err != nil {
				return nil, err
			}
			if v == nil && !ov.nulls {
				return nil, nil
			}
			vs[i] = v
		}
		out, err := ov.call(vs, ts)
		if err != nil {
			return nil, nil // per-record failure: NULL, as ksqlDB logs and continues
		}
		return out, nil
	}}
}

// resolve picks the overload for the argument types the way ksqlDB's UdfIndex does: first
// among the overloads every argument matches exactly (NULL matches anything), and only when
// there is none among those reachable with implicit casts. Of several candidates a
// non-variadic overload beats a variadic one, then more declared parameters beat fewer; a
// tie for the best is ambiguous. best is -1 when nothing matches.
func resolve(ovs []overload, ats []types.Type) (best int, ts []types.Type, ambiguous bool) {
	rank := func(ov overload) int {
		r := len(ov.params)
		if !ov.variadic {
			r += 1 << 16
		}
		return r
	}
	for _, casts := range []bool{false, true} {
		best, second := -1, -1
		for i, ov := range ovs {
			t, cost, ok := matchOverload(ov, ats)
			if !ok || cost > 0 && !casts {
				continue
			}
			switch {
			case best < 0 || rank(ov) > rank(ovs[best]):
				best, second, ts = i, best, t
			case second < 0 || rank(ov) > rank(ovs[second]):
				second = i
			}
		}
		if best < 0 {
			continue
		}
		if second >= 0 && rank(ovs[second]) == rank(ovs[best]) {
			return -1, nil, true
		}
		return best, ts, false
	}
	return -1, nil, false
}

// matchOverload matches argument types against ov's parameters, returning the converted
// types and the number of implicit casts needed.
func matchOverload(ov overload, ats []types.Type) ([]types.Type, int, bool) {
	np := len(ov.params)
	if ov.variadic {
		if len(ats) < np-1 {
			return nil, 0, false
		}
	} else if len(ats) != np {
		return nil, 0, false
	}
	ts := make([]types.Type, len(ats))
	total := 0
	for i, a := range ats {
		p := ov.params[min(i, np-1)]
		t, cost, ok := p(a)
		if !ok {
			return nil, 0, false
		}
		ts[i] = t
		total += cost
	}
	if ov.same {
		var common types.Type
		for _, t := range ts {
			switch c, ok := types.CommonType(common, t); {
			case t.Kind == types.KindInvalid:
			case common.Kind == types.KindInvalid:
				common = t
			case !ok:
				return nil, 0, false
			default:
				common = c
			}
		}
		for i := range ts {
			ts[i] = common
		}
	}
	return ts, total, true
}

// IsAggregateCall reports whether name (any case) is one of ksqlDB's aggregate functions,
// which the planner evaluates rather than this package.
func IsAggregateCall(name string) bool {
	switch strings.ToUpper(name) {
	case "COUNT", "COUNT_DISTINCT", "SUM", "AVG", "MIN", "MAX", "COLLECT_LIST", "COLLECT_SET",
		"TOPK", "TOPKDISTINCT", "HISTOGRAM", "EARLIEST_BY_OFFSET", "LATEST_BY_OFFSET",
		"STDDEV_SAMPLE", "STDDEV_SAMP", "STDDEV_POP", "CORRELATION", "ATTR", "SUM_LIST":
		return true
	}
	return false
}

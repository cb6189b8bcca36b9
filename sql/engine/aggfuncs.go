package engine

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/streamlite/streamlite/sql/types"
)

// The aggregate functions beyond COUNT, SUM, MIN, MAX, COLLECT_LIST/SET,
// TOPK(x, n), TOPKDISTINCT, the BY_OFFSET pair and ATTR, whose fold, unfold,
// merge and result live in aggregate.go and session.go; aggplan.go plans
// the calls.
//
// Accumulators are persisted by the state codec, so each is nil (nothing
// folded yet), a types.Value or an *attrState, and is never changed once
// stored: every step returns a new value. The layouts, with ksqlDB's
// intermediate types:
//
//	AVG(x)                Struct{sum, count BIGINT}; sum is INT, BIGINT or DOUBLE like x
//	STDDEV_SAMP(x)        Struct{sum, count BIGINT, m2 DOUBLE} (Youngs-Cramer)
//	STDDEV_SAMPLE(x)      the same
//	CORRELATION(x, y)     Struct{Σx, Σy, Σx², Σy², Σxy DOUBLE, count BIGINT}
//	HISTOGRAM(s)          []Value of Struct{s, count BIGINT}, in first-seen order;
//	                      it is also the MAP<STRING, BIGINT> result value
//	COUNT_DISTINCT(x)     []Value of the distinct non-null values
//	SUM_LIST(list)        the running sum, INT, BIGINT or DOUBLE like the elements
//	TOPK(x, c..., n)      []Value of Struct{x, c...}, x descending
//	EARLIEST/LATEST_BY_OFFSET in a SESSION window:
//	                      Struct{offset, value}, or []Value of them for the n forms,
//	                      so merged sessions keep offset order
//
// COUNT_DISTINCT is exact where ksqlDB estimates with HyperLogLog (exact for
// small counts either way), so its state grows with the distinct values.

// histogramLimit is HISTOGRAM's entry limit; later new values are ignored.
const histogramLimit = 1000

// zeroOf is the zero of an INT, BIGINT or DOUBLE sum.
func zeroOf(k types.Kind) types.Value {
	switch k {
	case types.KindInt:
		return int32(0)
	case types.KindBigint:
		return int64(0)
	}
	return 0.0
}

// addNum adds (sign 1) or subtracts (sign -1) b to a, both of a's Go type
// (int32 or int64 wrapping as Java does, or float64).
func addNum(a, b types.Value, sign int) types.Value {
	switch x := a.(type) {
	case int32:
		y, _ := b.(int32)
		return x + int32(sign)*y
	case int64:
		y, _ := b.(int64)
		return x + int64(sign)*y
	case float64:
		y, _ := b.(float64)
		return x + float64(sign)*y
	}
	return a
}

// toFloat is a numeric value as a DOUBLE.
func toFloat(v types.Value) float64 {
	switch x := v.(type) {
	case int32:
		return float64(x)
	case int64:
		return float64(x)
	case float64:
		return x
	case types.Decimal:
		return x.Float64()
	}
	return 0
}

// inKind is the kind of the aggregate's (first) argument.
func (ag aggregator) inKind() types.Kind {
	if ag.arg == nil {
		return types.KindBigint
	}
	return ag.arg.Type().Kind
}

// sortKey is the value TOPK orders by: x itself, or the sort_col of the
// STRUCT form.
func (ag aggregator) sortKey(v types.Value) types.Value {
	if s, ok := v.(types.Struct); ok && ag.typ.Elem != nil && ag.typ.Elem.Kind == types.KindStruct {
		return s[0]
	}
	return v
}

// structField reads field i of a STRUCT accumulator, nil when acc is nil.
func structField(acc any, i int) types.Value {
	if s, ok := acc.(types.Struct); ok && i < len(s) {
		return s[i]
	}
	return nil
}

// foldMore is fold for the functions this file adds.
func (ag aggregator) foldMore(acc any, v types.Value) (any, error) {
	switch ag.name {
	case "AVG":
		if v == nil {
			return acc, nil
		}
		sum, n := ag.avgParts(acc)
		return types.Struct{addNum(sum, v, 1), n + 1}, nil
	case "STDDEV_SAMP", "STDDEV_SAMPLE":
		if v == nil {
			return acc, nil
		}
		sum, n, m2 := ag.stddevParts(acc)
		if n > 0 {
			d := ag.stddevDelta(sum, n, v)
			m2 += d * d / (float64(n+1) * float64(n))
		}
		return types.Struct{addNum(sum, v, 1), n + 1, m2}, nil
	case "CORRELATION":
		x, y := structField(v, 0), structField(v, 1)
		if x == nil || y == nil {
			return acc, nil
		}
		return corrAdd(acc, toFloat(x), toFloat(y), 1), nil
	case "HISTOGRAM":
		if v == nil {
			return acc, nil
		}
		return histogramAdd(acc, v, 1), nil
	case "COUNT_DISTINCT":
		l, _ := acc.([]types.Value)
		if v == nil || slices.ContainsFunc(l, func(x types.Value) bool { return types.Equal(x, v) }) {
			return acc, nil
		}
		return append(slices.Clone(l), v), nil
	case "SUM_LIST":
		if acc == nil {
			acc = zeroOf(ag.typ.Kind)
		}
		return addNum(acc, sumList(v, ag.typ.Kind), 1), nil
	}
	return nil, fmt.Errorf("aggregate %s not supported", ag.name)
}

// unfoldMore is unfold (a table row's old value taken out) for the
// functions this file adds.
func (ag aggregator) unfoldMore(acc any, v types.Value) (any, error) {
	switch ag.name {
	case "AVG":
		if v == nil {
			return acc, nil
		}
		sum, n := ag.avgParts(acc)
		return types.Struct{addNum(sum, v, -1), n - 1}, nil
	case "STDDEV_SAMP", "STDDEV_SAMPLE":
		if v == nil {
			return acc, nil
		}
		// ksqlDB's undo: the delta uses the count and sum before removal,
		// and the last value out leaves m2 as it is.
		sum, n, m2 := ag.stddevParts(acc)
		if n-1 > 0 {
			d := ag.stddevDelta(sum, n, v)
			m2 -= d * d / (float64(n-1) * float64(n))
		}
		return types.Struct{addNum(sum, v, -1), n - 1, m2}, nil
	case "CORRELATION":
		x, y := structField(v, 0), structField(v, 1)
		if x == nil || y == nil {
			return acc, nil
		}
		return corrAdd(acc, toFloat(x), toFloat(y), -1), nil
	case "HISTOGRAM":
		if v == nil {
			return acc, nil
		}
		return histogramAdd(acc, v, -1), nil
	case "SUM_LIST":
		if acc == nil {
			acc = zeroOf(ag.typ.Kind)
		}
		return addNum(acc, sumList(v, ag.typ.Kind), -1), nil
	}
	return nil, fmt.Errorf("%s cannot aggregate a table yet", ag.name)
}

// mergeMore is merge (two sessions joined) for the functions aggregate.go's
// merge does not handle; a and b are both non-nil.
func (ag aggregator) mergeMore(a, b any) (any, error) {
	if ag.seq {
		return ag.mergeBySeq(a, b), nil
	}
	switch ag.name {
	case "COLLECT_SET", "COUNT_DISTINCT":
		out, _ := a.([]types.Value)
		out = slices.Clone(out)
		lb, _ := b.([]types.Value)
		for _, v := range lb {
			if ag.name == "COLLECT_SET" && len(out) >= ag.limit {
				break
			}
			if !slices.ContainsFunc(out, func(x types.Value) bool { return types.Equal(x, v) }) {
				out = append(out, v)
			}
		}
		return out, nil
	case "TOPK", "TOPKDISTINCT":
		out, _ := a.([]types.Value)
		out = slices.Clone(out)
		lb, _ := b.([]types.Value)
		for _, v := range lb {
			if ag.name == "TOPKDISTINCT" && slices.ContainsFunc(out, func(x types.Value) bool { return types.Equal(x, v) }) {
				continue
			}
			out = append(out, v)
		}
		slices.SortStableFunc(out, func(x, y types.Value) int {
			c, _ := types.Compare(ag.sortKey(y), ag.sortKey(x))
			return c
		})
		if len(out) > ag.n {
			out = out[:ag.n]
		}
		return out, nil
	case "ATTR":
		sa, _ := a.(*attrState)
		sb, _ := b.(*attrState)
		if sa == nil || sb == nil || (!sa.mixed && !sb.mixed && types.Equal(sa.v, sb.v)) {
			return a, nil
		}
		return &attrState{seen: true, mixed: true}, nil
	case "AVG":
		sa, na := ag.avgParts(a)
		sb, nb := ag.avgParts(b)
		return types.Struct{addNum(sa, sb, 1), na + nb}, nil
	case "STDDEV_SAMP", "STDDEV_SAMPLE":
		sa, na, ma := ag.stddevParts(a)
		sb, nb, mb := ag.stddevParts(b)
		m2 := ma + mb
		if na > 0 && nb > 0 {
			d := ag.stddevMean(sa, na) - ag.stddevMean(sb, nb)
			m2 += float64(na) * float64(nb) * d * d / float64(na+nb)
		}
		return types.Struct{addNum(sa, sb, 1), na + nb, m2}, nil
	case "CORRELATION":
		out := make(types.Struct, 6)
		for i := range 5 {
			out[i] = toFloat(structField(a, i)) + toFloat(structField(b, i))
		}
		na, _ := structField(a, 5).(int64)
		nb, _ := structField(b, 5).(int64)
		out[5] = na + nb
		return out, nil
	case "HISTOGRAM":
		out := a
		lb, _ := b.([]types.Value)
		for _, e := range lb {
			n, _ := structField(e, 1).(int64)
			out = histogramAdd(out, structField(e, 0), n)
		}
		return out, nil
	case "SUM_LIST":
		return addNum(a, b, 1), nil
	}
	return nil, fmt.Errorf("%s cannot merge sessions yet", ag.name)
}

// resultMore is result for the functions this file adds and the BY_OFFSET
// forms it changes; ok is false for the others.
func (ag aggregator) resultMore(acc any) (v types.Value, ok bool) {
	if ag.seq {
		return ag.resultBySeq(acc), true
	}
	switch ag.name {
	case "LATEST_BY_OFFSET", "EARLIEST_BY_OFFSET":
		if ag.n > 0 && acc == nil {
			return []types.Value{}, true
		}
		return nil, false
	case "AVG":
		sum, n := ag.avgParts(acc)
		if n == 0 {
			return 0.0, true
		}
		return toFloat(sum) / float64(n), true
	case "STDDEV_SAMP", "STDDEV_SAMPLE":
		_, n, m2 := ag.stddevParts(acc)
		if n < 2 {
			return 0.0, true
		}
		// STDDEV_SAMP returns the variance: ksqlDB's long-standing bug,
		// kept for compatibility.
		if ag.name == "STDDEV_SAMP" {
			return m2 / float64(n-1), true
		}
		return math.Sqrt(m2 / float64(n-1)), true
	case "CORRELATION":
		var f [5]float64
		for i := range f {
			f[i] = toFloat(structField(acc, i))
		}
		sx, sy, sxx, syy, sxy := f[0], f[1], f[2], f[3], f[4]
		n, _ := structField(acc, 5).(int64)
		c := float64(n)
		num := c*sxy - sx*sy
		den := math.Sqrt((c*sxx - sx*sx) * (c*syy - sy*sy))
		return num / den, true // NaN with fewer than two pairs, as in ksqlDB
	case "HISTOGRAM", "COUNT_DISTINCT":
		l, _ := acc.([]types.Value)
		if ag.name == "COUNT_DISTINCT" {
			return int64(len(l)), true
		}
		if l == nil {
			return []types.Value{}, true
		}
		return l, true
	case "SUM_LIST":
		if acc == nil {
			return zeroOf(ag.typ.Kind), true
		}
		return acc, true
	}
	return nil, false
}

// avgParts reads AVG's accumulator: the sum (of the argument's Go type) and
// the count.
func (ag aggregator) avgParts(acc any) (types.Value, int64) {
	sum := structField(acc, 0)
	if sum == nil {
		sum = zeroOf(ag.inKind())
	}
	n, _ := structField(acc, 1).(int64)
	return sum, n
}

// stddevParts reads STDDEV's accumulator: sum, count and m2.
func (ag aggregator) stddevParts(acc any) (types.Value, int64, float64) {
	sum, n := ag.avgParts(acc)
	m2, _ := structField(acc, 2).(float64)
	return sum, n, m2
}

// stddevDelta is Youngs-Cramer's n·v − sum for a group of n values, in the
// arithmetic ksqlDB uses: Java int for STDDEV_SAMP over INT, long for
// BIGINT and for STDDEV_SAMPLE over INT, double for DOUBLE.
func (ag aggregator) stddevDelta(sum types.Value, n int64, v types.Value) float64 {
	switch s := sum.(type) {
	case int32:
		x, _ := v.(int32)
		if ag.name == "STDDEV_SAMP" {
			return float64(x*int32(n+1) - (s + x))
		}
		return float64(int64(x)*(n+1) - int64(s+x))
	case int64:
		x, _ := v.(int64)
		return float64(x*(n+1) - (s + x))
	}
	x, _ := v.(float64)
	return x*float64(n+1) - (toFloat(sum) + x)
}

// stddevMean is the group mean merging sessions uses: integer division for
// STDDEV_SAMP over INT and BIGINT, as ksqlDB computes it.
func (ag aggregator) stddevMean(sum types.Value, n int64) float64 {
	if ag.name == "STDDEV_SAMP" {
		switch s := sum.(type) {
		case int32:
			return float64(s / int32(n))
		case int64:
			return float64(s / n)
		}
	}
	return toFloat(sum) / float64(n)
}

// corrAdd adds (sign 1) or removes (sign -1) the pair (x, y) to
// CORRELATION's accumulator.
func corrAdd(acc any, x, y float64, sign float64) types.Struct {
	var f [5]float64
	for i := range f {
		f[i] = toFloat(structField(acc, i))
	}
	n, _ := structField(acc, 5).(int64)
	return types.Struct{f[0] + sign*x, f[1] + sign*y, f[2] + sign*x*x, f[3] + sign*y*y, f[4] + sign*x*y, n + int64(sign)}
}

// histogramAdd adds n (negative to undo) to key's count in a HISTOGRAM
// accumulator; an entry whose count drops below 1 goes, and a new key past
// the limit is ignored.
func histogramAdd(acc any, key types.Value, n int64) any {
	l, _ := acc.([]types.Value)
	for i, e := range l {
		if !types.Equal(structField(e, 0), key) {
			continue
		}
		c, _ := structField(e, 1).(int64)
		out := slices.Clone(l)
		if c+n < 1 {
			return slices.Delete(out, i, i+1)
		}
		out[i] = types.Struct{key, c + n}
		return out
	}
	if n < 1 || len(l) >= histogramLimit {
		return acc
	}
	return append(slices.Clone(l), types.Struct{key, n})
}

// sumList adds up a list's non-null elements as a value of kind k.
func sumList(v types.Value, k types.Kind) types.Value {
	sum := zeroOf(k)
	l, _ := v.([]types.Value)
	for _, x := range l {
		if x != nil {
			sum = addNum(sum, x, 1)
		}
	}
	return sum
}

// foldBySeq is fold for EARLIEST/LATEST_BY_OFFSET in a SESSION window,
// where v is Struct{offset, value}.
func (ag aggregator) foldBySeq(acc any, v types.Value) (any, error) {
	if structField(v, 1) == nil && !ag.keepNulls {
		return acc, nil
	}
	latest := ag.name == "LATEST_BY_OFFSET"
	if ag.n == 0 {
		if acc != nil && !latest {
			return acc, nil
		}
		return v, nil
	}
	l, _ := acc.([]types.Value)
	if !latest && len(l) >= ag.n {
		return acc, nil
	}
	l = append(slices.Clone(l), v)
	if len(l) > ag.n {
		l = l[len(l)-ag.n:]
	}
	return l, nil
}

// mergeBySeq merges two BY_OFFSET session accumulators by offset.
func (ag aggregator) mergeBySeq(a, b any) any {
	seq := func(v types.Value) int64 { n, _ := structField(v, 0).(int64); return n }
	latest := ag.name == "LATEST_BY_OFFSET"
	if ag.n == 0 {
		if (seq(b) > seq(a)) == latest {
			return b
		}
		return a
	}
	la, _ := a.([]types.Value)
	lb, _ := b.([]types.Value)
	out := append(slices.Clone(la), lb...)
	slices.SortStableFunc(out, func(x, y types.Value) int { return cmp.Compare(seq(x), seq(y)) })
	if len(out) > ag.n {
		if latest {
			out = out[len(out)-ag.n:]
		} else {
			out = out[:ag.n]
		}
	}
	return out
}

// resultBySeq is a BY_OFFSET session accumulator's value.
func (ag aggregator) resultBySeq(acc any) types.Value {
	if ag.n == 0 {
		return structField(acc, 1)
	}
	l, _ := acc.([]types.Value)
	out := make([]types.Value, len(l))
	for i, e := range l {
		out[i] = structField(e, 1)
	}
	return out
}

package expr

import (
	"math"
	"math/big"

	"github.com/streamlite/streamlite/sql/types"
)

// ROUND and TRUNC, and the DECIMAL rounding they and CEIL/FLOOR share.

func decRound(d types.Decimal, scale int32, mode func(*big.Int, *big.Int) *big.Int) types.Decimal {
	if d.Scale <= scale {
		return d
	}
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Scale-scale)), nil)
	u := d.Unscaled
	if u == nil {
		u = new(big.Int)
	}
	return types.Decimal{Unscaled: mode(u, p), Scale: scale}
}

func floorDiv(a, b *big.Int) *big.Int {
	q, m := new(big.Int).DivMod(a, b, new(big.Int)) // Euclidean: m >= 0, b > 0 → floor
	_ = m
	return q
}

func ceilDiv(a, b *big.Int) *big.Int {
	return new(big.Int).Neg(floorDiv(new(big.Int).Neg(a), b))
}

func halfUpDiv(a, b *big.Int) *big.Int {
	q, r := new(big.Int).QuoRem(a, b, new(big.Int))
	if new(big.Int).Abs(new(big.Int).Mul(r, big.NewInt(2))).Cmp(b) >= 0 {
		if a.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

// toFloat reads an INTEGER, BIGINT or DOUBLE argument as float64.
func toFloat(v types.Value) float64 {
	switch x := v.(type) {
	case int32:
		return float64(x)
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return math.NaN()
}

// javaRound is Java's Math.round: floor(x + 0.5).
func javaRound(f float64) int64 {
	if math.IsNaN(f) {
		return 0
	}
	r := math.Floor(f + 0.5)
	if r >= math.MaxInt64 {
		return math.MaxInt64
	}
	if r <= math.MinInt64 {
		return math.MinInt64
	}
	return int64(r)
}

// halfDownDiv returns a/b (b > 0) rounded to nearest, ties toward zero (Java's HALF_DOWN).
func halfDownDiv(a, b *big.Int) *big.Int {
	q, r := new(big.Int).QuoRem(a, b, new(big.Int))
	if new(big.Int).Abs(new(big.Int).Mul(r, big.NewInt(2))).Cmp(b) > 0 {
		if a.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

// truncDiv returns a/b (b > 0) rounded toward zero (Java's DOWN).
func truncDiv(a, b *big.Int) *big.Int { return new(big.Int).Quo(a, b) }

// setScale is Java's BigDecimal.setScale(n, mode) for n below d's scale; a negative n rounds
// to tens, hundreds... The result keeps scale max(n, 0) (the value is what matters: callers
// convert it to DOUBLE or rescale it to the column type). A larger n returns d.
func setScale(d types.Decimal, n int64, mode func(*big.Int, *big.Int) *big.Int) types.Decimal {
	if n >= int64(d.Scale) {
		return d
	}
	n = max(n, -int64(types.MaxDecimalPrecision)-int64(max(d.Scale, 0))-1) // rounds to 0 below
	r := decRound(d, int32(n), mode)
	if n < 0 {
		return types.Decimal{Unscaled: new(big.Int).Mul(r.Unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(-n), nil)), Scale: 0}
	}
	return r
}

// roundMode is ksqlDB's ROUND rounding: HALF_UP for positive values, HALF_DOWN otherwise,
// which rounds ties toward positive infinity as Java's Math.round does.
func roundMode(d types.Decimal) func(*big.Int, *big.Int) *big.Int {
	if d.Sign() > 0 {
		return halfUpDiv
	}
	return halfDownDiv
}

// doubleScale rounds f to n decimal places through its decimal text (BigDecimal.valueOf),
// with the mode mode picks for it. NaN and infinities fail (a NULL result).
func doubleScale(f float64, n int32, mode func(types.Decimal) func(*big.Int, *big.Int) *big.Int) (types.Value, error) {
	d, err := types.DecimalFromFloat(f)
	if err != nil {
		return nil, err
	}
	return setScale(d, int64(n), mode(d)).Float64(), nil
}

// decimalScale rounds d to n decimal places and returns it at the scale of type t, failing
// when it no longer fits t's precision.
func decimalScale(d types.Decimal, n int32, mode func(types.Decimal) func(*big.Int, *big.Int) *big.Int, t types.Type) (types.Value, error) {
	return setScale(d, int64(n), mode(d)).Fit(t.Precision, t.Scale)
}

// truncMode is TRUNC's rounding: toward zero.
func truncMode(types.Decimal) func(*big.Int, *big.Int) *big.Int { return truncDiv }

// integerPart is the type of ROUND(d) and TRUNC(d) for DECIMAL d: DECIMAL(p - s, 0).
func integerPart(ts []types.Type) types.Type {
	return types.DecimalOf(max(ts[0].Precision-ts[0].Scale, 1), 0)
}

// roundFuncs are ROUND and TRUNC, with ksqlDB's overloads: INTEGER, BIGINT and DOUBLE give
// BIGINT; DECIMAL(p, s) gives DECIMAL(p - s, 0); with a number of decimal places (which may
// be negative) DOUBLE gives DOUBLE and DECIMAL keeps its type.
func roundFuncs(name string) []overload {
	mode, whole := roundMode, javaRound
	if name == "TRUNC" {
		mode = truncMode
		whole = func(f float64) int64 { return javaD2L(math.Trunc(f)) }
	}
	return []overload{
		{params: []param{pBigint}, ret: retT(types.TBigint()), call: func(a []types.Value, _ []types.Type) (types.Value, error) { return a[0], nil }},
		{params: []param{pInt}, ret: retT(types.TBigint()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			return int64(a[0].(int32)), nil
		}},
		{params: []param{pDouble}, ret: retT(types.TBigint()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			return whole(a[0].(float64)), nil
		}},
		{params: []param{pDouble, pInt}, ret: retT(types.TDouble()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			return doubleScale(a[0].(float64), a[1].(int32), mode)
		}},
		{params: []param{pDec}, ret: integerPart, call: func(a []types.Value, ts []types.Type) (types.Value, error) {
			return decimalScale(a[0].(types.Decimal), 0, mode, integerPart(ts))
		}},
		{params: []param{pDec, pInt}, ret: retArg(0), call: func(a []types.Value, ts []types.Type) (types.Value, error) {
			return decimalScale(a[0].(types.Decimal), a[1].(int32), mode, ts[0])
		}},
	}
}

// javaD2L converts a float64 to int64 as Java's (long) cast does: NaN is 0, out of range
// saturates.
func javaD2L(f float64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

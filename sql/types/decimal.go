package types

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Decimal is an exact DECIMAL value: Unscaled × 10^-Scale. A nil Unscaled means zero. Scale is
// never negative for values produced by this package. Decimals are immutable: operations return
// new values and never modify their operands' big.Int.
type Decimal struct {
	Unscaled *big.Int
	Scale    int32
}

var bigTen = big.NewInt(10)

func pow10(n int32) *big.Int {
	return new(big.Int).Exp(bigTen, big.NewInt(int64(n)), nil)
}

// NewDecimal returns unscaled × 10^-scale.
func NewDecimal(unscaled int64, scale int32) Decimal {
	return Decimal{Unscaled: big.NewInt(unscaled), Scale: scale}
}

func (d Decimal) unscaled() *big.Int {
	if d.Unscaled == nil {
		return new(big.Int)
	}
	return d.Unscaled
}

// maxDecimalTextLen bounds the text ParseDecimal accepts, so hostile input cannot make it
// allocate huge numbers.
const maxDecimalTextLen = 512

// ParseDecimal parses decimal text like Java's BigDecimal: optional sign, digits with an
// optional point (".12", "12."), optional exponent ("1.5E3"). The scale is the number of digits
// after the point (minus the exponent); a negative scale is normalised to 0.
func ParseDecimal(s string) (Decimal, error) {
	orig := s
	if len(s) == 0 || len(s) > maxDecimalTextLen {
		return Decimal{}, fmt.Errorf("invalid decimal %q", orig)
	}
	exp := int64(0)
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.ParseInt(s[i+1:], 10, 32)
		if err != nil || e > 1000 || e < -1000 {
			return Decimal{}, fmt.Errorf("invalid decimal %q", orig)
		}
		exp = e
		s = s[:i]
	}
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart, frac := s, ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		intPart, frac = s[:i], s[i+1:]
	}
	digits := intPart + frac
	if digits == "" {
		return Decimal{}, fmt.Errorf("invalid decimal %q", orig)
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return Decimal{}, fmt.Errorf("invalid decimal %q", orig)
		}
	}
	u, _ := new(big.Int).SetString(digits, 10)
	if neg {
		u.Neg(u)
	}
	scale := int64(len(frac)) - exp
	if scale < 0 {
		u.Mul(u, pow10(int32(-scale)))
		scale = 0
	}
	if scale > math.MaxInt16 {
		return Decimal{}, fmt.Errorf("invalid decimal %q: scale too large", orig)
	}
	return Decimal{Unscaled: u, Scale: int32(scale)}, nil
}

// String returns the plain decimal text with exactly Scale digits after the point, like Java's
// BigDecimal.toPlainString ("1.10", "-0.05", "12").
func (d Decimal) String() string {
	u := d.unscaled()
	s := new(big.Int).Abs(u).String()
	if d.Scale > 0 {
		if len(s) <= int(d.Scale) {
			s = strings.Repeat("0", int(d.Scale)-len(s)+1) + s
		}
		s = s[:len(s)-int(d.Scale)] + "." + s[len(s)-int(d.Scale):]
	} else if d.Scale < 0 {
		s += strings.Repeat("0", int(-d.Scale))
	}
	if u.Sign() < 0 {
		s = "-" + s
	}
	return s
}

// Precision returns the number of digits in the unscaled value (at least 1), as BigDecimal's
// precision(). A value fits DECIMAL(p, s) when it has scale s and
// Precision() <= p (zero always fits).
func (d Decimal) Precision() int {
	u := d.unscaled()
	if u.Sign() == 0 {
		return 1
	}
	return len(new(big.Int).Abs(u).String())
}

// Sign returns -1, 0 or +1.
func (d Decimal) Sign() int { return d.unscaled().Sign() }

// Rescale returns d with the given scale, rounding HALF_UP (away from zero at .5) when digits
// are dropped.
func (d Decimal) Rescale(scale int32) Decimal {
	u := d.unscaled()
	switch {
	case scale == d.Scale:
		return Decimal{Unscaled: new(big.Int).Set(u), Scale: scale}
	case scale > d.Scale:
		return Decimal{Unscaled: new(big.Int).Mul(u, pow10(scale-d.Scale)), Scale: scale}
	}
	return Decimal{Unscaled: divHalfUp(u, pow10(d.Scale-scale)), Scale: scale}
}

// divHalfUp returns a/b rounded HALF_UP (b > 0 or < 0, not zero).
func divHalfUp(a, b *big.Int) *big.Int {
	q, r := new(big.Int).QuoRem(a, b, new(big.Int))
	if r.Sign() == 0 {
		return q
	}
	r2 := new(big.Int).Abs(r)
	r2.Lsh(r2, 1)
	if r2.Cmp(new(big.Int).Abs(b)) >= 0 {
		if (a.Sign() < 0) != (b.Sign() < 0) {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

// Fit returns d rounded HALF_UP to DECIMAL(precision, scale), or an error wrapping
// ErrCastFailed when the integer part does not fit.
func (d Decimal) Fit(precision, scale int) (Decimal, error) {
	r := d.Rescale(int32(scale))
	if r.Precision() > precision && r.Sign() != 0 {
		return Decimal{}, fmt.Errorf("%w: cannot fit decimal '%s' into DECIMAL(%d, %d)", ErrCastFailed, d, precision, scale)
	}
	return r, nil
}

// FitExact is Fit without rounding: it fails when digits after the point would be lost. The
// serde uses it for decoded data ("Cannot fit decimal '1.234' into DECIMAL(4, 2) without
// rounding").
func (d Decimal) FitExact(precision, scale int) (Decimal, error) {
	r := d.Rescale(int32(scale))
	if int32(scale) < d.Scale && r.Rescale(d.Scale).Cmp(d) != 0 {
		return Decimal{}, fmt.Errorf("%w: cannot fit decimal '%s' into DECIMAL(%d, %d) without rounding", ErrCastFailed, d, precision, scale)
	}
	if r.Precision() > precision && r.Sign() != 0 {
		return Decimal{}, fmt.Errorf("%w: cannot fit decimal '%s' into DECIMAL(%d, %d)", ErrCastFailed, d, precision, scale)
	}
	return r, nil
}

// Cmp compares numeric values, ignoring scale (1.10 == 1.1).
func (d Decimal) Cmp(e Decimal) int {
	s := max(d.Scale, e.Scale)
	return d.Rescale(s).unscaled().Cmp(e.Rescale(s).unscaled())
}

// Float64 returns the nearest float64.
func (d Decimal) Float64() float64 {
	f, _ := strconv.ParseFloat(d.String(), 64)
	return f
}

// stripZeros returns d with trailing fractional zeros removed (used for hashing).
func (d Decimal) stripZeros() Decimal {
	u := new(big.Int).Set(d.unscaled())
	s := d.Scale
	r := new(big.Int)
	for s > 0 && u.Sign() != 0 {
		q, m := new(big.Int).QuoRem(u, bigTen, r)
		if m.Sign() != 0 {
			break
		}
		u = q
		s--
	}
	if u.Sign() == 0 {
		s = 0
	}
	return Decimal{Unscaled: u, Scale: s}
}

// DecimalFromInt returns n as a DECIMAL with scale 0.
func DecimalFromInt(n int64) Decimal { return Decimal{Unscaled: big.NewInt(n), Scale: 0} }

// DecimalFromFloat converts f the way Java's BigDecimal.valueOf(double) does: through its
// shortest decimal text. NaN and infinities fail with ErrCastFailed.
func DecimalFromFloat(f float64) (Decimal, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return Decimal{}, fmt.Errorf("%w: cannot convert %v to DECIMAL", ErrCastFailed, f)
	}
	return ParseDecimal(strconv.FormatFloat(f, 'g', -1, 64))
}

package types

import (
	"fmt"
	"math"
	"math/big"
)

// Op is a binary arithmetic operator.
type Op uint8

// The arithmetic operators. OpConcat is string concatenation ('a' || 'b', also 'a' + 'b').
const (
	OpAdd Op = iota + 1
	OpSub
	OpMul
	OpDiv
	OpMod
	OpConcat
)

// String returns the operator symbol.
func (o Op) String() string {
	switch o {
	case OpAdd:
		return "+"
	case OpSub:
		return "-"
	case OpMul:
		return "*"
	case OpDiv:
		return "/"
	case OpMod:
		return "%"
	case OpConcat:
		return "||"
	}
	return "?"
}

// ResultType returns the type of a op b, per ksqlDB:
//   - INTEGER op INTEGER = INTEGER; with BIGINT = BIGINT; with DOUBLE = DOUBLE.
//   - DECIMAL with INTEGER/BIGINT: the integer widens to DECIMAL(10, 0)/DECIMAL(19, 0).
//   - DECIMAL with DOUBLE = DOUBLE.
//   - DECIMAL op DECIMAL (p1,s1),(p2,s2), SQL Server's rules:
//   - -: scale max(s1,s2), precision max(s1,s2) + max(p1-s1, p2-s2) + 1;
//     *: precision p1+p2+1, scale s1+s2;
//     /: scale max(6, s1+p2+1), precision p1-s1+s2+scale;
//     %: scale max(s1,s2), precision min(p1-s1, p2-s2) + scale.
//     A precision above 38 is cut to 38 and the scale reduced by the same amount, but not
//     below min(scale, 6).
//   - STRING + STRING and STRING || STRING = STRING.
//
// Other operand types are an error (the statement is rejected).
func ResultType(op Op, a, b Type) (Type, error) {
	if op == OpConcat || op == OpAdd && a.Kind == KindString && b.Kind == KindString {
		if a.Kind == KindString && b.Kind == KindString {
			return TString(), nil
		}
		return Type{}, fmt.Errorf("unsupported arithmetic types. %s %s %s", a, op, b)
	}
	if !a.IsNumeric() || !b.IsNumeric() {
		return Type{}, fmt.Errorf("unsupported arithmetic types. %s %s %s", a, op, b)
	}
	switch {
	case a.Kind == KindDouble || b.Kind == KindDouble:
		return TDouble(), nil
	case a.Kind == KindDecimal || b.Kind == KindDecimal:
		da, _ := DecimalTypeOf(a)
		db, _ := DecimalTypeOf(b)
		return decimalResult(op, da.Precision, da.Scale, db.Precision, db.Scale), nil
	case a.Kind == KindBigint || b.Kind == KindBigint:
		return TBigint(), nil
	}
	return TInt(), nil
}

func decimalResult(op Op, p1, s1, p2, s2 int) Type {
	var p, s int
	switch op {
	case OpAdd, OpSub:
		s = max(s1, s2)
		p = s + max(p1-s1, p2-s2) + 1
	case OpMul:
		p, s = p1+p2+1, s1+s2
	case OpDiv:
		s = max(6, s1+p2+1)
		p = p1 - s1 + s2 + s
	default: // OpMod
		s = max(s1, s2)
		p = min(p1-s1, p2-s2) + s
	}
	if p > MaxDecimalPrecision {
		over := p - MaxDecimalPrecision
		s = max(s-over, min(s, 6))
		p = MaxDecimalPrecision
	}
	if p < 1 {
		p = 1
	}
	return DecimalOf(p, s)
}

// Arith computes a op b for operands of types ta and tb, returning a value of
// ResultType(op, ta, tb). NULL operands give NULL. INTEGER and BIGINT wrap around on overflow
// like Java; integer division truncates toward zero; integer division or modulo by zero, and
// DECIMAL division by zero or overflow, fail with ErrArithmetic (ksqlDB yields NULL). DOUBLE
// follows IEEE (x/0 = ±Infinity, NaN). DECIMAL results are rounded HALF_UP to the result scale.
func Arith(op Op, a, b Value, ta, tb Type) (Value, error) {
	rt, err := ResultType(op, ta, tb)
	if err != nil {
		return nil, err
	}
	if a == nil || b == nil {
		return nil, nil
	}
	switch rt.Kind {
	case KindString:
		x, ok1 := a.(string)
		y, ok2 := b.(string)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("%w: concatenation of %T and %T", ErrArithmetic, a, b)
		}
		return x + y, nil
	case KindDouble:
		x, y := toFloat(a), toFloat(b)
		switch op {
		case OpAdd:
			return x + y, nil
		case OpSub:
			return x - y, nil
		case OpMul:
			return x * y, nil
		case OpDiv:
			return x / y, nil
		default:
			return math.Mod(x, y), nil
		}
	case KindInt:
		return intArith(op, a.(int32), b.(int32))
	case KindBigint:
		return intArith(op, toInt64(a), toInt64(b))
	}
	return decimalArith(op, toDecimal(a), toDecimal(b), rt)
}

func decimalArith(op Op, x, y Decimal, rt Type) (Value, error) {
	var r Decimal
	switch op {
	case OpAdd, OpSub:
		s := max(x.Scale, y.Scale)
		xu, yu := x.Rescale(s).unscaled(), y.Rescale(s).unscaled()
		u := new(big.Int)
		if op == OpAdd {
			u.Add(xu, yu)
		} else {
			u.Sub(xu, yu)
		}
		r = Decimal{Unscaled: u, Scale: s}
	case OpMul:
		r = Decimal{Unscaled: new(big.Int).Mul(x.unscaled(), y.unscaled()), Scale: x.Scale + y.Scale}
	case OpDiv, OpMod:
		if y.Sign() == 0 {
			return nil, fmt.Errorf("%w: Division by zero", ErrArithmetic)
		}
		if op == OpDiv {
			// x/y at scale rt.Scale: x.u*10^(rt.Scale - x.s + y.s) / y.u, HALF_UP.
			shift := int32(rt.Scale) - x.Scale + y.Scale
			num := new(big.Int).Set(x.unscaled())
			den := new(big.Int).Set(y.unscaled())
			if shift >= 0 {
				num.Mul(num, pow10(shift))
			} else {
				den.Mul(den, pow10(-shift))
			}
			r = Decimal{Unscaled: divHalfUp(num, den), Scale: int32(rt.Scale)}
		} else {
			s := max(x.Scale, y.Scale)
			r = Decimal{Unscaled: new(big.Int).Rem(x.Rescale(s).unscaled(), y.Rescale(s).unscaled()), Scale: s}
		}
	}
	out, err := r.Fit(rt.Precision, rt.Scale)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrArithmetic, err)
	}
	return out, nil
}

// Negate returns -v for a numeric value (Java wrap-around for the minimum INTEGER/BIGINT).
func Negate(v Value) (Value, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case int32:
		return -x, nil
	case int64:
		return -x, nil
	case float64:
		return -x, nil
	case Decimal:
		return Decimal{Unscaled: new(big.Int).Neg(x.unscaled()), Scale: x.Scale}, nil
	}
	return nil, fmt.Errorf("%w: cannot negate %T", ErrArithmetic, v)
}

// intArith is INT and BIGINT arithmetic as Java does it: wrapping on
// overflow, division truncating, and division or modulo by zero an
// ErrArithmetic (the value becomes NULL).
func intArith[T int32 | int64](op Op, x, y T) (Value, error) {
	switch op {
	case OpAdd:
		return x + y, nil
	case OpSub:
		return x - y, nil
	case OpMul:
		return x * y, nil
	}
	if y == 0 {
		return nil, fmt.Errorf("%w: / by zero", ErrArithmetic)
	}
	if op == OpDiv {
		return x / y, nil
	}
	return x % y, nil
}

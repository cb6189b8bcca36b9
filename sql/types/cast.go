package types

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// CanCast reports whether CAST(x AS to) is allowed for x of type from. The error wraps
// ErrUnsupportedCast and reads like ksqlDB's: "Cast of STRING to ARRAY<INTEGER> is not
// supported".
//
// Allowed: identity; anything but BYTES to STRING; STRING to every primitive but BYTES;
// numeric to numeric; TIMESTAMP to DATE and TIME; DATE to TIMESTAMP; ARRAY to ARRAY when the
// elements cast.
func CanCast(from, to Type) error {
	if from.Equal(to) {
		return nil
	}
	ok := false
	switch {
	case to.Kind == KindString:
		ok = from.Kind != KindBytes
	case from.Kind == KindString:
		ok = to.IsPrimitive() && to.Kind != KindBytes
	case from.IsNumeric() && to.IsNumeric():
		ok = true
	case from.Kind == KindTimestamp:
		ok = to.Kind == KindDate || to.Kind == KindTime || to.Kind == KindTimestamp
	case from.Kind == KindDate:
		ok = to.Kind == KindTimestamp
	case from.Kind == KindArray && to.Kind == KindArray:
		ok = from.Elem != nil && to.Elem != nil && CanCast(*from.Elem, *to.Elem) == nil
	}
	if !ok {
		return fmt.Errorf("%w: Cast of %s to %s is not supported", ErrUnsupportedCast, from, to)
	}
	return nil
}

// Cast converts v of type from to type to, as ksqlDB's CAST does. NULL casts to NULL. Run-time
// failures (bad number text, DECIMAL overflow, NaN to DECIMAL) wrap ErrCastFailed: ksqlDB
// yields NULL for them. Numeric narrowing follows Java: BIGINT → INTEGER keeps the low 32 bits,
// DOUBLE → INTEGER/BIGINT truncates toward zero and saturates (NaN → 0), DECIMAL → INTEGER/BIGINT
// truncates. Numbers → DECIMAL round HALF_UP to the target scale.
func Cast(v Value, from, to Type) (Value, error) {
	if err := CanCast(from, to); err != nil {
		return nil, err
	}
	if v == nil {
		return nil, nil
	}
	return castValue(v, to)
}

func castFail(v Value, to Type, why string) error {
	return fmt.Errorf("%w: cannot cast %q to %s: %s", ErrCastFailed, ValueString(v), to, why)
}

func castValue(v Value, to Type) (Value, error) {
	if v == nil {
		return nil, nil
	}
	if to.Kind == KindString {
		return ValueString(v), nil
	}
	if s, ok := v.(string); ok {
		return parseAs(s, to)
	}
	switch to.Kind {
	case KindInt:
		switch x := v.(type) {
		case int32:
			return x, nil
		case int64:
			return int32(x), nil
		case float64:
			return int32(javaD2L(x, math.MinInt32, math.MaxInt32)), nil
		case Decimal:
			return int32(truncDecimal(x)), nil
		}
	case KindBigint:
		switch x := v.(type) {
		case int32:
			return int64(x), nil
		case int64:
			return x, nil
		case float64:
			return javaD2L(x, math.MinInt64, math.MaxInt64), nil
		case Decimal:
			return truncDecimal(x), nil
		}
	case KindDouble:
		switch x := v.(type) {
		case int32, int64, float64, Decimal:
			return toFloat(x), nil
		}
	case KindDecimal:
		var d Decimal
		switch x := v.(type) {
		case int32, int64:
			d = DecimalFromInt(toInt64(x))
		case Decimal:
			d = x
		case float64:
			var err error
			if d, err = DecimalFromFloat(x); err != nil {
				return nil, err
			}
		default:
			return nil, castFail(v, to, "not a number")
		}
		return d.Fit(to.Precision, to.Scale)
	case KindBoolean:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case KindTimestamp:
		switch x := v.(type) {
		case Timestamp:
			return x, nil
		case Date:
			return Timestamp(int64(x) * MsPerDay), nil
		}
	case KindDate:
		switch x := v.(type) {
		case Date:
			return x, nil
		case Timestamp:
			return Date(floorDiv(int64(x), MsPerDay)), nil
		}
	case KindTime:
		switch x := v.(type) {
		case Time:
			return x, nil
		case Timestamp:
			return Time(int64(x) - floorDiv(int64(x), MsPerDay)*MsPerDay), nil
		}
	case KindBytes:
		if b, ok := v.([]byte); ok {
			return b, nil
		}
	case KindArray:
		if a, ok := v.([]Value); ok && to.Elem != nil {
			out := make([]Value, len(a))
			for i, e := range a {
				c, err := castValue(e, *to.Elem)
				if err != nil {
					return nil, err
				}
				out[i] = c
			}
			return out, nil
		}
	}
	return nil, castFail(v, to, fmt.Sprintf("value of Go type %T", v))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// javaD2L converts like Java's (int)/(long) cast of a double: truncate, saturate, NaN → 0.
func javaD2L(f float64, lo, hi int64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f <= float64(lo):
		return lo
	case f >= float64(hi):
		return hi
	}
	return int64(f)
}

// truncDecimal returns the integer part of d as Java's BigDecimal.longValue (low 64 bits).
func truncDecimal(d Decimal) int64 {
	q := new(big.Int).Quo(d.unscaled(), pow10(max(d.Scale, 0)))
	if d.Scale < 0 {
		q.Mul(q, pow10(-d.Scale))
	}
	// low 64 bits, two's complement
	m := new(big.Int).And(q, new(big.Int).SetUint64(math.MaxUint64))
	return int64(m.Uint64())
}

// parseAs parses text as ksqlDB's CAST from STRING does. Surrounding whitespace is trimmed.
func parseAs(s string, to Type) (Value, error) {
	t := strings.TrimSpace(s)
	switch to.Kind {
	case KindInt:
		n, err := strconv.ParseInt(t, 10, 32)
		if err != nil {
			return nil, castFail(s, to, "not an INTEGER")
		}
		return int32(n), nil
	case KindBigint:
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return nil, castFail(s, to, "not a BIGINT")
		}
		return n, nil
	case KindDouble:
		return ParseDouble(t)
	case KindDecimal:
		d, err := ParseDecimal(t)
		if err != nil {
			return nil, castFail(s, to, "not a DECIMAL")
		}
		return d.Fit(to.Precision, to.Scale)
	case KindBoolean:
		switch strings.ToLower(t) {
		case "true", "t", "yes", "y":
			return true, nil
		case "false", "f", "no", "n":
			return false, nil
		}
		return nil, castFail(s, to, "not a BOOLEAN")
	case KindDate:
		d, err := ParseDate(t)
		if err != nil {
			return nil, castFail(s, to, err.Error())
		}
		return d, nil
	case KindTime:
		tm, err := ParseTime(t)
		if err != nil {
			return nil, castFail(s, to, err.Error())
		}
		return tm, nil
	case KindTimestamp:
		ts, err := ParseTimestamp(t)
		if err != nil {
			return nil, castFail(s, to, err.Error())
		}
		return ts, nil
	case KindBytes:
		b, err := base64.StdEncoding.DecodeString(t)
		if err != nil {
			return nil, castFail(s, to, "not base64")
		}
		return b, nil
	}
	return nil, castFail(s, to, "unsupported target")
}

// ParseDouble parses DOUBLE text as Java's Double.parseDouble does, including "NaN",
// "Infinity" and a trailing 'd'/'f'. Errors wrap ErrCastFailed.
func ParseDouble(s string) (float64, error) {
	t := strings.TrimSpace(s)
	switch t {
	case "NaN", "+NaN", "-NaN":
		return math.NaN(), nil
	case "Infinity", "+Infinity":
		return math.Inf(1), nil
	case "-Infinity":
		return math.Inf(-1), nil
	}
	t = strings.TrimRight(t, "dDfF")
	if t == "" || strings.ContainsAny(t, "xXpPiInN_") {
		return 0, castFail(s, TDouble(), "not a DOUBLE")
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil && !isRangeErr(err) {
		return 0, castFail(s, TDouble(), "not a DOUBLE")
	}
	return f, nil
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// ParseDate parses yyyy-MM-dd (a trailing time part is not allowed).
func ParseDate(s string) (Date, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return 0, fmt.Errorf("invalid DATE %q (want yyyy-MM-dd)", s)
	}
	return Date(floorDiv(t.UnixMilli(), MsPerDay)), nil
}

// ParseTime parses HH:mm, HH:mm:ss or HH:mm:ss.SSS (up to 9 fraction digits, truncated to
// milliseconds).
func ParseTime(s string) (Time, error) {
	for _, layout := range []string{"15:04:05.999999999", "15:04:05", "15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return Time(int64(t.Hour())*3_600_000 + int64(t.Minute())*60_000 +
				int64(t.Second())*1000 + int64(t.Nanosecond()/1_000_000)), nil
		}
	}
	return 0, fmt.Errorf("invalid TIME %q (want HH:mm:ss.SSS)", s)
}

// ParseTimestamp parses ISO-8601 timestamps as ksqlDB's CAST accepts them: yyyy-MM-dd,
// yyyy-MM-ddTHH:mm[:ss[.SSS]] with an optional zone (Z or ±HH:mm); no zone means UTC.
func ParseTimestamp(s string) (Timestamp, error) {
	layouts := []string{
		"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04Z07:00",
		"2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02T15:04",
		"2006-01-02T15", "2006-01-02",
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return Timestamp(t.UnixMilli()), nil
		}
	}
	return 0, fmt.Errorf("invalid TIMESTAMP %q (want yyyy-MM-ddTHH:mm:ss.SSS)", s)
}

// DecimalTypeOf returns the DECIMAL type an integer type widens to: INTEGER → DECIMAL(10, 0),
// BIGINT → DECIMAL(19, 0); a DECIMAL is returned unchanged.
func DecimalTypeOf(t Type) (Type, bool) {
	switch t.Kind {
	case KindInt:
		return DecimalOf(10, 0), true
	case KindBigint:
		return DecimalOf(19, 0), true
	case KindDecimal:
		return t, true
	}
	return Type{}, false
}

// CanWiden reports whether a value of type from converts implicitly to type to, following
// ksqlDB's widening INTEGER → BIGINT → DECIMAL → DOUBLE (a DECIMAL widens to another DECIMAL
// whose integer and fraction parts are both at least as wide). Identity is allowed.
func CanWiden(from, to Type) bool {
	if from.Equal(to) {
		return true
	}
	switch from.Kind {
	case KindInt:
		return to.Kind == KindBigint || to.Kind == KindDouble || to.Kind == KindDecimal && to.Precision-to.Scale >= 10
	case KindBigint:
		return to.Kind == KindDouble || to.Kind == KindDecimal && to.Precision-to.Scale >= 19
	case KindDecimal:
		return to.Kind == KindDouble || to.Kind == KindDecimal && to.Scale >= from.Scale &&
			to.Precision-to.Scale >= from.Precision-from.Scale
	case KindArray:
		return to.Kind == KindArray && CanWiden(*from.Elem, *to.Elem)
	}
	return false
}

// CommonType returns the type both a and b widen to (for comparisons, CASE branches, IN
// lists): the wider numeric kind, and for two DECIMALs the type holding both integer and
// fraction parts. ok is false when there is none.
func CommonType(a, b Type) (Type, bool) {
	if a.Equal(b) {
		return a, true
	}
	if a.IsNumeric() && b.IsNumeric() {
		switch {
		case a.Kind == KindDouble || b.Kind == KindDouble:
			return TDouble(), true
		case a.Kind == KindDecimal || b.Kind == KindDecimal:
			da, _ := DecimalTypeOf(a)
			db, _ := DecimalTypeOf(b)
			s := max(da.Scale, db.Scale)
			p := min(s+max(da.Precision-da.Scale, db.Precision-db.Scale), MaxDecimalPrecision)
			return DecimalOf(p, s), true
		}
		return TBigint(), true
	}
	if a.Kind == KindArray && b.Kind == KindArray {
		e, ok := CommonType(*a.Elem, *b.Elem)
		if ok {
			return ArrayOf(e), true
		}
	}
	if a.Kind == KindTimestamp && b.Kind == KindDate || a.Kind == KindDate && b.Kind == KindTimestamp {
		return TTimestamp(), true
	}
	return Type{}, false
}

// Widen converts v (of type from) to type to under CanWiden; it is Cast restricted to
// widening, so it never loses information except DECIMAL → DOUBLE.
func Widen(v Value, from, to Type) (Value, error) {
	if !CanWiden(from, to) && !(from.Kind == KindDate && to.Kind == KindTimestamp) {
		return nil, fmt.Errorf("%w: %s does not widen to %s", ErrUnsupportedCast, from, to)
	}
	if v == nil {
		return nil, nil
	}
	return castValue(v, to)
}

package types

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"strings"
	"time"
)

// Value is a SQL value; see the package doc for the Go type of each SQL type.
type Value = any

// Date is a DATE value: days since 1970-01-01.
type Date int32

// Time is a TIME value: milliseconds since midnight (0 <= Time < 86,400,000).
type Time int64

// Timestamp is a TIMESTAMP value: milliseconds since the Unix epoch, UTC.
type Timestamp int64

// Struct is a STRUCT value: field values in the order of the type's fields.
type Struct []Value

// MsPerDay is the number of milliseconds in a day.
const MsPerDay = 86_400_000

// String formats the date as yyyy-MM-dd.
func (d Date) String() string {
	return time.UnixMilli(int64(d) * MsPerDay).UTC().Format("2006-01-02")
}

// String formats the time as HH:mm:ss, with .SSS when the milliseconds are not zero.
func (t Time) String() string {
	ms := int64(t)
	s := fmt.Sprintf("%02d:%02d:%02d", ms/3_600_000, ms/60_000%60, ms/1000%60)
	if ms%1000 != 0 {
		s += fmt.Sprintf(".%03d", ms%1000)
	}
	return s
}

// String formats the timestamp as ISO-8601 yyyy-MM-ddTHH:mm:ss.SSS in UTC.
func (t Timestamp) String() string {
	return time.UnixMilli(int64(t)).UTC().Format("2006-01-02T15:04:05.000")
}

// FormatDouble formats f as Java's Double.toString does: "10.3", "1.0", "1.0E10", "1.0E-5",
// "NaN", "Infinity", "-Infinity". ksqlDB uses it for DOUBLE → STRING and JSON output.
func FormatDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	a := math.Abs(f)
	if a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, exp, _ := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// ValueString formats v as CAST(v AS STRING) does in ksqlDB. Arrays print like Java lists
// ("[1, 3]", "[a, b]"), NULL elements as "null".
func ValueString(v Value) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return FormatDouble(x)
	case Decimal:
		return x.String()
	case string:
		return x
	case []byte:
		return base64Std(x)
	case Date:
		return x.String()
	case Time:
		return x.String()
	case Timestamp:
		return x.String()
	case []Value:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = ValueString(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case Struct:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = ValueString(e)
		}
		return "Struct{" + strings.Join(parts, ",") + "}"
	}
	return fmt.Sprint(v)
}

// numeric rank for cross-type comparison: 1 int32, 2 int64, 3 Decimal, 4 float64.
func numRank(v Value) int {
	switch v.(type) {
	case int32:
		return 1
	case int64:
		return 2
	case Decimal:
		return 3
	case float64:
		return 4
	}
	return 0
}

func toInt64(v Value) int64 {
	if x, ok := v.(int32); ok {
		return int64(x)
	}
	return v.(int64)
}

func toDecimal(v Value) Decimal {
	switch x := v.(type) {
	case Decimal:
		return x
	default:
		return DecimalFromInt(toInt64(v))
	}
}

func toFloat(v Value) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case Decimal:
		return x.Float64()
	default:
		return float64(toInt64(v))
	}
}

// Compare orders two non-NULL values by ksqlDB's rules: numbers across INTEGER, BIGINT,
// DECIMAL and DOUBLE (widened to the wider kind); strings by UTF-16-compatible byte order;
// BOOLEAN false < true; DATE, TIME, TIMESTAMP chronologically, and TIMESTAMP with DATE
// after widening the DATE to midnight; BYTES bytewise; arrays element by element. Other
// pairs, or NULL, return an error wrapping ErrIncomparable.
func Compare(a, b Value) (int, error) {
	if a == nil || b == nil {
		return 0, fmt.Errorf("%w: NULL", ErrIncomparable)
	}
	ra, rb := numRank(a), numRank(b)
	if ra > 0 && rb > 0 {
		switch max(ra, rb) {
		case 1, 2:
			return cmp3(toInt64(a), toInt64(b)), nil
		case 3:
			return toDecimal(a).Cmp(toDecimal(b)), nil
		default:
			fa, fb := toFloat(a), toFloat(b)
			switch {
			case fa < fb:
				return -1, nil
			case fa > fb:
				return 1, nil
			case fa == fb:
				return 0, nil
			}
			// NaN: Java's Double.compare puts NaN above everything, equal to itself.
			an, bn := math.IsNaN(fa), math.IsNaN(fb)
			switch {
			case an && bn:
				return 0, nil
			case an:
				return 1, nil
			}
			return -1, nil
		}
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), nil
		}
	case bool:
		if y, ok := b.(bool); ok {
			switch {
			case x == y:
				return 0, nil
			case !x:
				return -1, nil
			}
			return 1, nil
		}
	case []byte:
		if y, ok := b.([]byte); ok {
			return bytes.Compare(x, y), nil
		}
	case Date:
		switch y := b.(type) {
		case Date:
			return cmp3(int64(x), int64(y)), nil
		case Timestamp:
			return cmp3(int64(x)*MsPerDay, int64(y)), nil
		}
	case Timestamp:
		switch y := b.(type) {
		case Timestamp:
			return cmp3(int64(x), int64(y)), nil
		case Date:
			return cmp3(int64(x), int64(y)*MsPerDay), nil
		}
	case Time:
		if y, ok := b.(Time); ok {
			return cmp3(int64(x), int64(y)), nil
		}
	case []Value:
		if y, ok := b.([]Value); ok {
			for i := 0; i < len(x) && i < len(y); i++ {
				if x[i] == nil || y[i] == nil {
					if x[i] == nil && y[i] == nil {
						continue
					}
					if x[i] == nil {
						return -1, nil
					}
					return 1, nil
				}
				c, err := Compare(x[i], y[i])
				if err != nil || c != 0 {
					return c, err
				}
			}
			return cmp3(int64(len(x)), int64(len(y))), nil
		}
	}
	return 0, fmt.Errorf("%w: %T and %T", ErrIncomparable, a, b)
}

func cmp3(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Equal reports whether a and b are equal SQL values. Unlike SQL's "=", NULL equals NULL here
// (it is the equality used for group keys and tests). Numbers compare across types by value;
// DECIMAL ignores scale (1.10 equals 1.1). Structs compare field by field.
func Equal(a, b Value) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if x, ok := a.(Struct); ok {
		y, ok := b.(Struct)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	if x, ok := a.([]Value); ok {
		y, ok := b.([]Value)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	c, err := Compare(a, b)
	return err == nil && c == 0
}

// Hash returns a deterministic 64-bit hash of v for grouping. Values that are Equal and of the
// same Go type hash alike (DECIMAL hashes its value without trailing zeros). Group keys of one
// column type therefore hash consistently with Equal.
func Hash(v Value) uint64 {
	h := fnv.New64a()
	hashInto(h, v)
	return h.Sum64()
}

type byteWriter interface{ Write([]byte) (int, error) }

func hashInto(h byteWriter, v Value) {
	var buf [9]byte
	put := func(tag byte, n uint64) {
		buf[0] = tag
		binary.BigEndian.PutUint64(buf[1:], n)
		_, _ = h.Write(buf[:])
	}
	switch x := v.(type) {
	case nil:
		put(0, 0)
	case bool:
		n := uint64(0)
		if x {
			n = 1
		}
		put(1, n)
	case int32:
		put(2, uint64(int64(x)))
	case int64:
		put(2, uint64(x))
	case float64:
		if x == 0 {
			x = 0 // -0 and +0 are equal
		}
		put(3, math.Float64bits(x))
	case Decimal:
		s := x.stripZeros()
		put(4, uint64(s.Scale))
		_, _ = h.Write(s.unscaled().Bytes())
		put(4, uint64(s.Sign()+1))
	case string:
		put(5, uint64(len(x)))
		_, _ = h.Write([]byte(x))
	case []byte:
		put(6, uint64(len(x)))
		_, _ = h.Write(x)
	case Date:
		put(7, uint64(int64(x)*MsPerDay))
	case Timestamp:
		put(7, uint64(x))
	case Time:
		put(8, uint64(x))
	case []Value:
		put(9, uint64(len(x)))
		for _, e := range x {
			hashInto(h, e)
		}
	case Struct:
		put(10, uint64(len(x)))
		for _, e := range x {
			hashInto(h, e)
		}
	default:
		_, _ = fmt.Fprintf(h, "%T%v", v, v)
	}
}

// TypeOf returns the SQL type of a non-NULL value. DECIMAL values get the smallest type that
// holds them; arrays take their type from the first non-NULL element (ARRAY<STRING> when
// there is none). ok is false for NULL and unknown Go types.
func TypeOf(v Value) (Type, bool) {
	switch x := v.(type) {
	case bool:
		return TBoolean(), true
	case int32:
		return TInt(), true
	case int64:
		return TBigint(), true
	case float64:
		return TDouble(), true
	case Decimal:
		p := max(x.Precision(), int(x.Scale))
		return DecimalOf(max(p, 1), int(x.Scale)), true
	case string:
		return TString(), true
	case []byte:
		return TBytes(), true
	case Date:
		return TDate(), true
	case Time:
		return TTime(), true
	case Timestamp:
		return TTimestamp(), true
	case []Value:
		for _, e := range x {
			if t, ok := TypeOf(e); ok {
				return ArrayOf(t), true
			}
		}
		return ArrayOf(TString()), true
	}
	return Type{}, false
}

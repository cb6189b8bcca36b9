package types

import (
	"strconv"
	"strings"
)

// Kind is the base kind of a SQL type.
type Kind uint8

// The SQL type kinds.
const (
	KindInvalid Kind = iota
	KindInt
	KindBigint
	KindDouble
	KindDecimal
	KindString
	KindBoolean
	KindBytes
	KindDate
	KindTime
	KindTimestamp
	KindArray
	KindMap
	KindStruct
)

// MaxDecimalPrecision is the largest DECIMAL precision ksqlDB accepts.
const MaxDecimalPrecision = 38

var kindNames = [...]string{
	KindInvalid:   "INVALID",
	KindInt:       "INTEGER",
	KindBigint:    "BIGINT",
	KindDouble:    "DOUBLE",
	KindDecimal:   "DECIMAL",
	KindString:    "STRING",
	KindBoolean:   "BOOLEAN",
	KindBytes:     "BYTES",
	KindDate:      "DATE",
	KindTime:      "TIME",
	KindTimestamp: "TIMESTAMP",
	KindArray:     "ARRAY",
	KindMap:       "MAP",
	KindStruct:    "STRUCT",
}

// String returns the kind's name as ksqlDB prints it ("INTEGER", "ARRAY", ...).
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Field is one field of a STRUCT type.
type Field struct {
	Name string
	Type Type
}

// Type describes a SQL type. The zero Type is invalid. Types are immutable values: share them
// freely, never modify Elem/Key/Fields after construction.
type Type struct {
	Kind Kind
	// Precision and Scale are set for DECIMAL only.
	Precision, Scale int
	// Elem is the element type of ARRAY and the value type of MAP.
	Elem *Type
	// Key is the key type of MAP.
	Key *Type
	// Fields are the fields of STRUCT, in order.
	Fields []Field
}

// Of returns the type of a primitive kind (not DECIMAL, ARRAY, MAP or STRUCT, which need
// parameters).
func Of(k Kind) Type { return Type{Kind: k} }

// Shorthands for the primitive types.
func TInt() Type       { return Type{Kind: KindInt} }       // INTEGER
func TBigint() Type    { return Type{Kind: KindBigint} }    // BIGINT
func TDouble() Type    { return Type{Kind: KindDouble} }    // DOUBLE
func TString() Type    { return Type{Kind: KindString} }    // STRING
func TBoolean() Type   { return Type{Kind: KindBoolean} }   // BOOLEAN
func TBytes() Type     { return Type{Kind: KindBytes} }     // BYTES
func TDate() Type      { return Type{Kind: KindDate} }      // DATE
func TTime() Type      { return Type{Kind: KindTime} }      // TIME
func TTimestamp() Type { return Type{Kind: KindTimestamp} } // TIMESTAMP

// DecimalOf returns DECIMAL(precision, scale). It does not validate; see [Type.Validate].
func DecimalOf(precision, scale int) Type {
	return Type{Kind: KindDecimal, Precision: precision, Scale: scale}
}

// ArrayOf returns ARRAY<elem>.
func ArrayOf(elem Type) Type { return Type{Kind: KindArray, Elem: &elem} }

// MapOf returns MAP<key, value>.
func MapOf(key, value Type) Type { return Type{Kind: KindMap, Key: &key, Elem: &value} }

// StructOf returns STRUCT<fields...>.
func StructOf(fields ...Field) Type {
	return Type{Kind: KindStruct, Fields: append([]Field(nil), fields...)}
}

// HeadersType is the type of a HEADERS column: ARRAY<STRUCT<KEY STRING, VALUE BYTES>>.
func HeadersType() Type {
	return ArrayOf(StructOf(Field{Name: "KEY", Type: TString()}, Field{Name: "VALUE", Type: TBytes()}))
}

// IsNumeric reports whether t is INTEGER, BIGINT, DECIMAL or DOUBLE.
func (t Type) IsNumeric() bool {
	switch t.Kind {
	case KindInt, KindBigint, KindDecimal, KindDouble:
		return true
	}
	return false
}

// IsPrimitive reports whether t is neither ARRAY, MAP nor STRUCT.
func (t Type) IsPrimitive() bool {
	return t.Kind != KindInvalid && t.Kind < KindArray
}

// Validate reports whether t is well formed (DECIMAL precision 1..38 and 0 <= scale <= precision,
// element types present and valid).
func (t Type) Validate() error {
	switch t.Kind {
	case KindInvalid:
		return errorf("invalid type")
	case KindDecimal:
		if t.Precision < 1 || t.Precision > MaxDecimalPrecision {
			return errorf("DECIMAL precision must be between 1 and %d: %d", MaxDecimalPrecision, t.Precision)
		}
		if t.Scale < 0 || t.Scale > t.Precision {
			return errorf("DECIMAL scale must be between 0 and precision (%d): %d", t.Precision, t.Scale)
		}
	case KindArray:
		if t.Elem == nil {
			return errorf("ARRAY without element type")
		}
		return t.Elem.Validate()
	case KindMap:
		if t.Key == nil || t.Elem == nil {
			return errorf("MAP without key or value type")
		}
		if err := t.Key.Validate(); err != nil {
			return err
		}
		return t.Elem.Validate()
	case KindStruct:
		for _, f := range t.Fields {
			if err := f.Type.Validate(); err != nil {
				return err
			}
		}
	}
	return nil
}

// Equal reports whether t and u are the same type (DECIMAL precision and scale included).
func (t Type) Equal(u Type) bool {
	if t.Kind != u.Kind {
		return false
	}
	switch t.Kind {
	case KindDecimal:
		return t.Precision == u.Precision && t.Scale == u.Scale
	case KindArray:
		return t.Elem.Equal(*u.Elem)
	case KindMap:
		return t.Key.Equal(*u.Key) && t.Elem.Equal(*u.Elem)
	case KindStruct:
		if len(t.Fields) != len(u.Fields) {
			return false
		}
		for i := range t.Fields {
			if t.Fields[i].Name != u.Fields[i].Name || !t.Fields[i].Type.Equal(u.Fields[i].Type) {
				return false
			}
		}
	}
	return true
}

// String returns the type as ksqlDB prints it in schemas: "INTEGER", "DECIMAL(4, 2)",
// "ARRAY<STRING>", "MAP<STRING, INTEGER>", "STRUCT<KEY STRING, VALUE BYTES>".
func (t Type) String() string {
	var b strings.Builder
	t.write(&b)
	return b.String()
}

func (t Type) write(b *strings.Builder) {
	switch t.Kind {
	case KindDecimal:
		b.WriteString("DECIMAL(")
		b.WriteString(strconv.Itoa(t.Precision))
		b.WriteString(", ")
		b.WriteString(strconv.Itoa(t.Scale))
		b.WriteByte(')')
	case KindArray:
		b.WriteString("ARRAY<")
		writeOpt(b, t.Elem)
		b.WriteByte('>')
	case KindMap:
		b.WriteString("MAP<")
		writeOpt(b, t.Key)
		b.WriteString(", ")
		writeOpt(b, t.Elem)
		b.WriteByte('>')
	case KindStruct:
		b.WriteString("STRUCT<")
		for i, f := range t.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(f.Name)
			b.WriteByte(' ')
			f.Type.write(b)
		}
		b.WriteByte('>')
	default:
		b.WriteString(t.Kind.String())
	}
}

func writeOpt(b *strings.Builder, t *Type) {
	if t == nil {
		b.WriteString("INVALID")
		return
	}
	t.write(b)
}

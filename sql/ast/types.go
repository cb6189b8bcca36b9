package ast

import (
	"strconv"
	"strings"
)

// TypeKind names a SQL type's base.
type TypeKind int

// The SQL types the dialect knows. TypeCustom is a name declared with CREATE TYPE.
const (
	TypeInvalid TypeKind = iota
	TypeBoolean
	TypeInt
	TypeBigint
	TypeDouble
	TypeDecimal
	TypeString
	TypeBytes
	TypeDate
	TypeTime
	TypeTimestamp
	TypeArray
	TypeMap
	TypeStruct
	TypeCustom
)

// String is the ksqlDB name of the kind (INTEGER, not INT).
func (k TypeKind) String() string {
	switch k {
	case TypeInvalid:
		return "INVALID"
	case TypeBoolean:
		return "BOOLEAN"
	case TypeInt:
		return "INTEGER"
	case TypeBigint:
		return "BIGINT"
	case TypeDouble:
		return "DOUBLE"
	case TypeDecimal:
		return "DECIMAL"
	case TypeString:
		return "STRING"
	case TypeBytes:
		return "BYTES"
	case TypeDate:
		return "DATE"
	case TypeTime:
		return "TIME"
	case TypeTimestamp:
		return "TIMESTAMP"
	case TypeArray:
		return "ARRAY"
	case TypeMap:
		return "MAP"
	case TypeStruct:
		return "STRUCT"
	case TypeCustom:
		return "CUSTOM"
	}
	return "TypeKind(" + strconv.Itoa(int(k)) + ")"
}

// Type is a parsed SQL type.
type Type struct {
	At   Pos
	Kind TypeKind
	// Precision and Scale are set for DECIMAL.
	Precision, Scale int
	// Elem is the element type of ARRAY and the value type of MAP.
	Elem *Type
	// Key is the key type of MAP.
	Key *Type
	// Fields are the fields of STRUCT, in order.
	Fields []StructField
	// Name is the name of a custom type (TypeCustom), canonical case.
	Name string
}

// StructField is one field of a STRUCT type.
type StructField struct {
	Name string
	Type *Type
}

// Pos implements Node.
func (t *Type) Pos() Pos { return t.At }

// String prints the type the way ksqlDB prints it in schemas, e.g. DECIMAL(4, 2),
// ARRAY<STRING>, STRUCT<`A` INTEGER>.
func (t *Type) String() string {
	if t == nil {
		return "<nil>"
	}
	switch t.Kind {
	case TypeDecimal:
		return "DECIMAL(" + strconv.Itoa(t.Precision) + ", " + strconv.Itoa(t.Scale) + ")"
	case TypeArray:
		return "ARRAY<" + t.Elem.String() + ">"
	case TypeMap:
		return "MAP<" + t.Key.String() + ", " + t.Elem.String() + ">"
	case TypeStruct:
		var b strings.Builder
		b.WriteString("STRUCT<")
		for i, f := range t.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(QuoteIdent(f.Name, true))
			b.WriteByte(' ')
			b.WriteString(f.Type.String())
		}
		b.WriteByte('>')
		return b.String()
	case TypeCustom:
		return t.Name
	}
	return t.Kind.String()
}

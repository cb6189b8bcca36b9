package ast

import (
	"strings"
)

// Format prints an expression the way ksqlDB prints it in schemas and error messages:
// binary operators and predicates in parentheses ("(A + B)", "(X = 1)"), function names
// upper-cased with arguments separated by ", " ("COUNT(*)", "SUBSTRING(S, 1, 2)"), string
// literals single-quoted with ” escapes, numbers in their source text, identifiers
// back-quoted when they would not read back as the same identifier.
func Format(e Expr) string {
	var b strings.Builder
	format(&b, e)
	return b.String()
}

// QuoteIdent returns name as it must be written to read back unchanged: bare when it is an
// upper-case identifier that is not reserved, else in backquotes (“ doubled). With always
// set it is quoted regardless.
func QuoteIdent(name string, always bool) string {
	if !always && isPlainIdent(name) && !IsReserved(name) {
		return name
	}
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

func isPlainIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c == '_':
		case (c >= '0' && c <= '9') || c == '@' || c == '$':
			if i == 0 && c != '@' {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// IsReserved reports whether an upper-case word is reserved: it starts or continues a clause
// or predicate, so it must be quoted to be used as an identifier.
func IsReserved(upper string) bool {
	switch upper {
	case "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "AS", "BY", "GROUP", "HAVING",
		"PARTITION", "JOIN", "INNER", "LEFT", "RIGHT", "FULL", "OUTER", "ON", "WITHIN",
		"WINDOW", "EMIT", "LIMIT", "CASE", "WHEN", "THEN", "ELSE", "END", "IS", "NULL", "TRUE",
		"FALSE", "IN", "BETWEEN", "LIKE", "ESCAPE", "CAST", "WITH", "INTO", "VALUES", "CREATE",
		"INSERT", "DROP", "DISTINCT", "EXISTS":
		return true
	}
	return false
}

func format(b *strings.Builder, e Expr) {
	switch e := e.(type) {
	case nil:
		b.WriteString("<nil>")
	case *Literal:
		switch e.Kind {
		case LitString:
			b.WriteByte('\'')
			b.WriteString(strings.ReplaceAll(e.Text, "'", "''"))
			b.WriteByte('\'')
		case LitBoolean:
			if e.Bool {
				b.WriteString("true")
			} else {
				b.WriteString("false")
			}
		case LitNull:
			b.WriteString("null")
		default:
			b.WriteString(e.Text)
		}
	case *TypedLiteral:
		b.WriteString(e.Type.String())
		b.WriteString(" '")
		b.WriteString(strings.ReplaceAll(e.Value, "'", "''"))
		b.WriteByte('\'')
	case *ColumnRef:
		if e.Qualifier != "" {
			b.WriteString(QuoteIdent(e.Qualifier, false))
			b.WriteByte('.')
		}
		b.WriteString(QuoteIdent(e.Name, false))
	case *AllColumns:
		if e.Qualifier != "" {
			b.WriteString(QuoteIdent(e.Qualifier, false))
			b.WriteByte('.')
		}
		b.WriteByte('*')
	case *FunctionCall:
		b.WriteString(e.Name)
		b.WriteByte('(')
		if e.Distinct {
			b.WriteString("DISTINCT ")
		}
		if e.Star {
			b.WriteByte('*')
		}
		formatList(b, e.Args)
		b.WriteByte(')')
	case *Arithmetic:
		b.WriteByte('(')
		format(b, e.Left)
		b.WriteByte(' ')
		b.WriteString(e.Op.String())
		b.WriteByte(' ')
		format(b, e.Right)
		b.WriteByte(')')
	case *Negate:
		if e.Plus {
			b.WriteByte('+')
		} else {
			b.WriteByte('-')
		}
		inner := Format(e.Operand)
		if strings.HasPrefix(inner, "-") || strings.HasPrefix(inner, "+") {
			b.WriteByte(' ') // "- -A", never the comment "--A"
		}
		b.WriteString(inner)
	case *Comparison:
		b.WriteByte('(')
		format(b, e.Left)
		b.WriteByte(' ')
		b.WriteString(e.Op.String())
		b.WriteByte(' ')
		format(b, e.Right)
		b.WriteByte(')')
	case *Logical:
		b.WriteByte('(')
		format(b, e.Left)
		if e.Or {
			b.WriteString(" OR ")
		} else {
			b.WriteString(" AND ")
		}
		format(b, e.Right)
		b.WriteByte(')')
	case *Not:
		b.WriteString("(NOT ")
		format(b, e.Operand)
		b.WriteByte(')')
	case *IsNull:
		b.WriteByte('(')
		format(b, e.Operand)
		if e.Not {
			b.WriteString(" IS NOT NULL)")
		} else {
			b.WriteString(" IS NULL)")
		}
	case *Between:
		b.WriteByte('(')
		format(b, e.Operand)
		if e.Not {
			b.WriteString(" NOT")
		}
		b.WriteString(" BETWEEN ")
		format(b, e.Low)
		b.WriteString(" AND ")
		format(b, e.High)
		b.WriteByte(')')
	case *InList:
		b.WriteByte('(')
		format(b, e.Operand)
		if e.Not {
			b.WriteString(" NOT")
		}
		b.WriteString(" IN (")
		formatList(b, e.List)
		b.WriteString("))")
	case *Like:
		b.WriteByte('(')
		format(b, e.Operand)
		if e.Not {
			b.WriteString(" NOT")
		}
		b.WriteString(" LIKE ")
		format(b, e.Pattern)
		if e.Escape != "" {
			b.WriteString(" ESCAPE '")
			b.WriteString(strings.ReplaceAll(e.Escape, "'", "''"))
			b.WriteByte('\'')
		}
		b.WriteByte(')')
	case *Cast:
		b.WriteString("CAST(")
		format(b, e.Operand)
		b.WriteString(" AS ")
		b.WriteString(e.Type.String())
		b.WriteByte(')')
	case *Case:
		b.WriteString("(CASE")
		if e.Operand != nil {
			b.WriteByte(' ')
			format(b, e.Operand)
		}
		for _, w := range e.Whens {
			b.WriteString(" WHEN ")
			format(b, w.When)
			b.WriteString(" THEN ")
			format(b, w.Then)
		}
		if e.Else != nil {
			b.WriteString(" ELSE ")
			format(b, e.Else)
		}
		b.WriteString(" END)")
	case *Subscript:
		format(b, e.Base)
		b.WriteByte('[')
		format(b, e.Index)
		b.WriteByte(']')
	case *Dereference:
		format(b, e.Base)
		b.WriteString("->")
		b.WriteString(QuoteIdent(e.Field, false))
	case *ArrayConstructor:
		b.WriteString("ARRAY[")
		formatList(b, e.Elems)
		b.WriteByte(']')
	case *StructConstructor:
		b.WriteString("STRUCT(")
		for i, f := range e.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(QuoteIdent(f.Name, false))
			b.WriteString(":=")
			format(b, f.Value)
		}
		b.WriteByte(')')
	case *MapConstructor:
		b.WriteString("MAP(")
		for i, m := range e.Entries {
			if i > 0 {
				b.WriteString(", ")
			}
			format(b, m.Key)
			b.WriteString(":=")
			format(b, m.Value)
		}
		b.WriteByte(')')
	default:
		b.WriteString("<?>")
	}
}

func formatList(b *strings.Builder, list []Expr) {
	for i, x := range list {
		if i > 0 {
			b.WriteString(", ")
		}
		format(b, x)
	}
}

package expr

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/types"
)

// opName is ksqlDB's name for a comparison operator in error messages.
func opName(op ast.CompareOp) string {
	switch op {
	case ast.CmpEq:
		return "EQUAL"
	case ast.CmpNotEq:
		return "NOT_EQUAL"
	case ast.CmpLt:
		return "LESS_THAN"
	case ast.CmpLtEq:
		return "LESS_THAN_OR_EQUAL"
	case ast.CmpGt:
		return "GREATER_THAN"
	case ast.CmpGtEq:
		return "GREATER_THAN_OR_EQUAL"
	case ast.CmpIsDistinctFrom:
		return "IS_DISTINCT_FROM"
	case ast.CmpIsNotDistinctFrom:
		return "IS_NOT_DISTINCT_FROM"
	}
	return op.String()
}

func isEqualityOp(op ast.CompareOp) bool {
	switch op {
	case ast.CmpEq, ast.CmpNotEq, ast.CmpIsDistinctFrom, ast.CmpIsNotDistinctFrom:
		return true
	}
	return false
}

func isTemporal(k types.Kind) bool {
	return k == types.KindDate || k == types.KindTime || k == types.KindTimestamp
}

// comparable reports whether values of types a and b may be compared with op, per ksqlDB:
// numbers with numbers, strings with strings, temporals with temporals of a compatible kind
// or with strings (parsed), booleans and complex types for (in)equality only.
func comparable(op ast.CompareOp, a, b types.Type) bool {
	if a.Kind == types.KindInvalid || b.Kind == types.KindInvalid {
		return true
	}
	switch {
	case a.IsNumeric() && b.IsNumeric():
		return true
	case isTemporal(a.Kind) && isTemporal(b.Kind):
		return a.Kind == b.Kind || a.Kind != types.KindTime && b.Kind != types.KindTime
	case isTemporal(a.Kind) && b.Kind == types.KindString, a.Kind == types.KindString && isTemporal(b.Kind):
		return true
	case a.Kind != b.Kind:
		return false
	case a.Kind == types.KindString, a.Kind == types.KindBytes:
		return true
	case a.Kind == types.KindBoolean:
		return isEqualityOp(op)
	case a.Kind == types.KindArray, a.Kind == types.KindMap, a.Kind == types.KindStruct:
		if !isEqualityOp(op) {
			return false
		}
		if a.Equal(b) {
			return true
		}
		_, ok := types.CommonType(a, b)
		return ok
	}
	return false
}

func (c *compiler) compileComparison(n *ast.Comparison, depth int) (*compiled, error) {
	l, err := c.compile(n.Left, depth)
	if err != nil {
		return nil, err
	}
	r, err := c.compile(n.Right, depth)
	if err != nil {
		return nil, err
	}
	if l.isNull() || r.isNull() {
		return nil, errAt(n, "Comparison with NULL not supported: %s %s %s\nUse 'IS NULL' or 'IS NOT NULL' instead.",
			baseName(l.t), n.Op, baseName(r.t))
	}
	ev, err := comparisonEval(n.Op, l, r, n, false)
	if err != nil {
		return nil, err
	}
	return &compiled{t: types.TBoolean(), eval: ev}, nil
}

// baseName is a type's base name (DECIMAL, ARRAY) for messages; NULL for the NULL literal.
func baseName(t types.Type) string {
	if t.Kind == types.KindInvalid {
		return "NULL"
	}
	return t.Kind.String()
}

// isPseudoTime reports whether ce is a reference to ROWTIME, WINDOWSTART or WINDOWEND held as
// BIGINT milliseconds.
func isPseudoTime(ce *compiled) bool {
	r, ok := ce.expr.(*ast.ColumnRef)
	if !ok || ce.t.Kind != types.KindBigint {
		return false
	}
	switch strings.ToUpper(r.Name) {
	case "ROWTIME", "WINDOWSTART", "WINDOWEND":
		return true
	}
	return false
}

// magicTimestamp rewrites a STRING literal compared with ROWTIME, WINDOWSTART or WINDOWEND
// into its epoch milliseconds, as ksqlDB's StatementRewriteForMagicPseudoTimestamp does
// (ROWTIME > '2020-01-01T00:00:00.000+0200'). Other operands are returned unchanged.
func magicTimestamp(ts, lit *compiled) (*compiled, error) {
	if !isPseudoTime(ts) || lit.lit == nil || lit.lit.Kind != ast.LitString {
		return lit, nil
	}
	ms, err := parsePartialTimestamp(lit.lit.Text)
	if err != nil {
		return nil, errAt(lit.lit, "Failed to parse timestamp '%s': %v\nRequired format is: \"yyyy-MM-dd'T'HH:mm:ss.SSS\", "+
			"with an optional numeric 4-digit timezone, for example: '2020-05-26T23.59.58.000' or with tz: "+
			"'2020-05-26T23.59.58.000+0200'. Partials are also supported, for example \"2020-05-26\"", lit.lit.Text, err)
	}
	out := constant(types.TBigint(), ms)
	out.expr = lit.expr
	return out, nil
}

// stringTo returns an evaluator converting a STRING operand to the temporal type t (a string
// that does not parse gives NULL).
func stringTo(ce *compiled, t types.Type) evalFn {
	e := ce.eval
	return func(row []types.Value) (types.Value, error) {
		v, err := e(row)
		if err != nil || v == nil {
			return nil, err
		}
		out, err := types.Cast(v, types.TString(), t)
		if err != nil {
			return nil, nil
		}
		return out, nil
	}
}

// comparisonEval builds the evaluator of l op r, checking the operand types. When either
// operand is NULL the result is nullIs, except for IS [NOT] DISTINCT FROM, which compares
// NULLs as values: ksqlDB's comparison operators give false there, not NULL.
func comparisonEval(op ast.CompareOp, l, r *compiled, at ast.Node, nullIs types.Value) (evalFn, error) {
	var err error
	if r, err = magicTimestamp(l, r); err != nil {
		return nil, err
	}
	if l, err = magicTimestamp(r, l); err != nil {
		return nil, err
	}
	if !comparable(op, l.t, r.t) {
		return nil, errAt(at, "Cannot compare %s (%s) to %s (%s) with %s.",
			ast.Format(l.expr), typeName(l.t), ast.Format(r.expr), typeName(r.t), opName(op))
	}
	le, re := l.eval, r.eval
	switch {
	case isTemporal(l.t.Kind) && r.t.Kind == types.KindString:
		re = stringTo(r, l.t)
	case l.t.Kind == types.KindString && isTemporal(r.t.Kind):
		le = stringTo(l, r.t)
	}
	return func(row []types.Value) (types.Value, error) {
		x, err := le(row)
		if err != nil {
			return nil, err
		}
		y, err := re(row)
		if err != nil {
			return nil, err
		}
		switch op {
		case ast.CmpIsDistinctFrom:
			return !nullSafeEqual(x, y), nil
		case ast.CmpIsNotDistinctFrom:
			return nullSafeEqual(x, y), nil
		}
		if x == nil || y == nil {
			return nullIs, nil
		}
		switch op {
		case ast.CmpEq:
			return types.Equal(x, y), nil
		case ast.CmpNotEq:
			return !types.Equal(x, y), nil
		}
		cmp, err := types.Compare(x, y)
		if err != nil {
			return nil, nil
		}
		switch op {
		case ast.CmpLt:
			return cmp < 0, nil
		case ast.CmpLtEq:
			return cmp <= 0, nil
		case ast.CmpGt:
			return cmp > 0, nil
		}
		return cmp >= 0, nil
	}, nil
}

func nullSafeEqual(x, y types.Value) bool {
	if x == nil || y == nil {
		return x == nil && y == nil
	}
	return types.Equal(x, y)
}

func (c *compiler) compileBetween(n *ast.Between, depth int) (*compiled, error) {
	o, err := c.compile(n.Operand, depth)
	if err != nil {
		return nil, err
	}
	lo, err := c.compile(n.Low, depth)
	if err != nil {
		return nil, err
	}
	hi, err := c.compile(n.High, depth)
	if err != nil {
		return nil, err
	}
	ge, err := comparisonEval(ast.CmpGtEq, o, lo, n, nil)
	if err != nil {
		return nil, err
	}
	le, err := comparisonEval(ast.CmpLtEq, o, hi, n, nil)
	if err != nil {
		return nil, err
	}
	not := n.Not
	return &compiled{t: types.TBoolean(), eval: func(row []types.Value) (types.Value, error) {
		a, err := ge(row)
		if err != nil {
			return nil, err
		}
		b, err := le(row)
		if err != nil {
			return nil, err
		}
		// a AND b with three-valued logic, then NOT if asked.
		var r types.Value
		switch {
		case a == false || b == false:
			r = false
		case a == nil || b == nil:
			r = nil
		default:
			r = true
		}
		if not && r != nil {
			r = !r.(bool)
		}
		return r, nil
	}}, nil
}

// coerceLiteral converts a literal (or an ARRAY constructor of literals) to type t, as
// ksqlDB's IN does for its list ("invalid input syntax for type INTEGER: ..."). ok is false
// when e is not such a literal; err is set when it is but does not convert.
func coerceLiteral(e ast.Expr, t types.Type) (v types.Value, ok bool, err error) {
	switch x := e.(type) {
	case *ast.Literal:
		if x.Kind == ast.LitNull {
			return nil, true, nil
		}
		switch {
		case t.Kind == types.KindString:
			switch x.Kind {
			case ast.LitBoolean:
				return strconv.FormatBool(x.Bool), true, nil
			default:
				return x.Text, true, nil
			}
		case t.IsNumeric():
			switch x.Kind {
			case ast.LitBoolean:
				return nil, false, nil
			case ast.LitString:
				s := strings.TrimSpace(x.Text)
				if d, err := types.ParseDecimal(s); err == nil {
					return d, true, nil
				}
				if f, err := types.ParseDouble(s); err == nil {
					return f, true, nil
				}
				return nil, true, msgError(fmt.Sprintf("invalid input syntax for type %s: \"%s\".", t, x.Text))
			}
			ce, err := compileLiteral(x)
			if err != nil {
				return nil, true, err
			}
			v, _ := ce.eval(nil)
			return v, true, nil
		case t.Kind == types.KindBoolean:
			switch x.Kind {
			case ast.LitBoolean:
				return x.Bool, true, nil
			case ast.LitString:
				b, ok := parseBoolLoose(x.Text)
				if !ok {
					return nil, true, msgError(fmt.Sprintf("invalid input syntax for type BOOLEAN: \"%s\".", x.Text))
				}
				return b, true, nil
			}
		case isTemporal(t.Kind) && x.Kind == ast.LitString:
			v, err := types.Cast(x.Text, types.TString(), t)
			if err != nil {
				return nil, true, msgError(fmt.Sprintf("invalid input syntax for type %s: \"%s\".", t, x.Text))
			}
			return v, true, nil
		}
	case *ast.ArrayConstructor:
		if t.Kind != types.KindArray || t.Elem == nil {
			return nil, false, nil
		}
		out := make([]types.Value, len(x.Elems))
		for i, el := range x.Elems {
			v, ok, err := coerceLiteral(el, *t.Elem)
			if err != nil {
				return nil, true, msgError(strings.TrimSuffix(err.Error(), "."))
			}
			if !ok {
				return nil, false, nil
			}
			out[i] = v
		}
		return out, true, nil
	}
	return nil, false, nil
}

// parseBoolLoose accepts what ksqlDB's IN accepts for BOOLEAN text: case-insensitive
// non-empty prefixes of true/yes and false/no.
func parseBoolLoose(s string) (bool, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return false, false
	}
	for _, w := range []string{"true", "yes"} {
		if strings.HasPrefix(w, s) {
			return true, true
		}
	}
	for _, w := range []string{"false", "no"} {
		if strings.HasPrefix(w, s) {
			return false, true
		}
	}
	return false, false
}

func (c *compiler) compileIn(n *ast.InList, depth int) (*compiled, error) {
	o, err := c.compile(n.Operand, depth)
	if err != nil {
		return nil, err
	}
	items := make([]evalFn, len(n.List))
	for i, e := range n.List {
		if !o.isNull() {
			v, ok, err := coerceLiteral(e, o.t)
			if err != nil {
				return nil, errAt(e, "Invalid Predicate: %v", err)
			}
			if ok {
				items[i] = func([]types.Value) (types.Value, error) { return v, nil }
				continue
			}
		}
		ce, err := c.compile(e, depth)
		if err != nil {
			return nil, err
		}
		if !comparable(ast.CmpEq, o.t, ce.t) || o.t.Kind == types.KindString && isTemporal(ce.t.Kind) ||
			isTemporal(o.t.Kind) && ce.t.Kind == types.KindString {
			hint := ""
			if o.t.Kind == types.KindBoolean {
				hint = "\nHint: You might need to add explicit type casts."
			}
			return nil, errAt(e, "Invalid Predicate: operator does not exist: %s = %s (%s)%s",
				typeName(o.t), typeName(ce.t), ast.Format(e), hint)
		}
		items[i] = ce.eval
	}
	oe, not := o.eval, n.Not
	return &compiled{t: types.TBoolean(), eval: func(row []types.Value) (types.Value, error) {
		x, err := oe(row)
		if err != nil || x == nil {
			return nil, err
		}
		found := false
		for _, it := range items {
			y, err := it(row)
			if err != nil {
				return nil, err
			}
			if y != nil && types.Equal(x, y) {
				found = true
				break
			}
		}
		return found != not, nil
	}}, nil
}

// msgError is an error whose text is a ksqlDB message used verbatim.
type msgError string

func (e msgError) Error() string { return string(e) }

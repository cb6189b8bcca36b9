package expr

import (
	"fmt"

	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/types"
)

func constant(t types.Type, v types.Value) *compiled {
	return &compiled{t: t, eval: func([]types.Value) (types.Value, error) { return v, nil }}
}

func compileLiteral(l *ast.Literal) (*compiled, error) {
	var out *compiled
	switch l.Kind {
	case ast.LitNull:
		out = constant(types.Type{}, nil)
	case ast.LitBoolean:
		out = constant(types.TBoolean(), l.Bool)
	case ast.LitInt:
		out = constant(types.TInt(), int32(l.Int))
	case ast.LitBigint:
		out = constant(types.TBigint(), l.Int)
	case ast.LitDecimal:
		d, err := types.ParseDecimal(l.Text)
		if err != nil {
			return nil, errAt(l, "invalid DECIMAL literal %s: %v", l.Text, err)
		}
		t, _ := types.TypeOf(d)
		if t.Precision > types.MaxDecimalPrecision {
			return nil, errAt(l, "DECIMAL literal %s exceeds precision %d", l.Text, types.MaxDecimalPrecision)
		}
		out = constant(t, d)
	case ast.LitDouble:
		f, err := types.ParseDouble(l.Text)
		if err != nil {
			return nil, errAt(l, "invalid DOUBLE literal %s", l.Text)
		}
		out = constant(types.TDouble(), f)
	case ast.LitString:
		out = constant(types.TString(), l.Text)
	default:
		return nil, errAt(l, "unknown literal kind %d", l.Kind)
	}
	out.lit = l
	return out, nil
}

func compileTypedLiteral(l *ast.TypedLiteral) (*compiled, error) {
	t, err := convertType(l.Type)
	if err != nil {
		return nil, errAt(l, "%v", err)
	}
	v, err := types.Cast(l.Value, types.TString(), t)
	if err != nil || v == nil {
		return nil, errAt(l, "Cannot parse %s literal '%s'", t, l.Value)
	}
	return constant(t, v), nil
}

func (c *compiler) compileColumn(r *ast.ColumnRef) (*compiled, error) {
	idx := -1
	for i, col := range c.scope.Columns {
		if col.Name != r.Name || r.Qualifier != "" && col.Qualifier != r.Qualifier {
			continue
		}
		if idx >= 0 {
			return nil, errAt(r, "Column '%s' is ambiguous", r.Name)
		}
		idx = i
	}
	if idx < 0 {
		name := r.Name
		if r.Qualifier != "" {
			name = r.Qualifier + "." + r.Name
		}
		return nil, errAt(r, "Column '%s' cannot be resolved.", name)
	}
	t := c.scope.Columns[idx].Type
	return &compiled{t: t, eval: func(row []types.Value) (types.Value, error) {
		if idx >= len(row) {
			return nil, fmt.Errorf("expr: row has %d values, column %s is at %d", len(row), r.Name, idx)
		}
		return row[idx], nil
	}}, nil
}

func (c *compiler) compileArith(a *ast.Arithmetic, depth int) (*compiled, error) {
	l, err := c.compile(a.Left, depth)
	if err != nil {
		return nil, err
	}
	r, err := c.compile(a.Right, depth)
	if err != nil {
		return nil, err
	}
	op := types.Op(a.Op + 1)
	lt, rt := l.t, r.t
	// A NULL literal takes the other side's type.
	if l.isNull() {
		lt = rt
	}
	if r.isNull() {
		rt = lt
	}
	if lt.Kind == types.KindInvalid {
		return nil, errAt(a, "Error processing expression: %s. Unsupported arithmetic types. NULL NULL", ast.Format(a))
	}
	t, err := types.ResultType(op, lt, rt)
	if err != nil {
		return nil, errAt(a, "Error processing expression: %s. Unsupported arithmetic types. %s %s",
			ast.Format(a), lt.Kind, rt.Kind)
	}
	le, re := l.eval, r.eval
	return &compiled{t: t, eval: func(row []types.Value) (types.Value, error) {
		x, err := le(row)
		if err != nil || x == nil {
			return nil, err
		}
		y, err := re(row)
		if err != nil || y == nil {
			return nil, err
		}
		v, err := types.Arith(op, x, y, lt, rt)
		if err != nil {
			return nil, nil // ksqlDB: a failed operation yields NULL
		}
		return v, nil
	}}, nil
}

func (c *compiler) compileNegate(n *ast.Negate, depth int) (*compiled, error) {
	o, err := c.compile(n.Operand, depth)
	if err != nil {
		return nil, err
	}
	if !o.t.IsNumeric() && !o.isNull() {
		return nil, errAt(n, "Unsupported arithmetic type for unary minus: %s (%s)", ast.Format(n.Operand), typeName(o.t))
	}
	if n.Plus {
		return &compiled{t: o.t, eval: o.eval}, nil
	}
	oe := o.eval
	return &compiled{t: o.t, eval: func(row []types.Value) (types.Value, error) {
		v, err := oe(row)
		if err != nil || v == nil {
			return nil, err
		}
		r, err := types.Negate(v)
		if err != nil {
			return nil, nil
		}
		return r, nil
	}}, nil
}

// boolOperand checks that an operand of a logical operator is BOOLEAN (or NULL).
func boolOperand(ce *compiled, what string) error {
	if ce.t.Kind != types.KindBoolean && !ce.isNull() {
		return errAt(ce.expr, "%s requires a BOOLEAN operand but %s is %s", what, ast.Format(ce.expr), typeName(ce.t))
	}
	return nil
}

// asBool reads a BOOLEAN-typed value: known is false for NULL.
func asBool(v types.Value) (b, known bool, err error) {
	if v == nil {
		return false, false, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, false, fmt.Errorf("expr: expected BOOLEAN value, got %T", v)
	}
	return b, true, nil
}

func (c *compiler) compileLogical(l *ast.Logical, depth int) (*compiled, error) {
	what := "AND"
	if l.Or {
		what = "OR"
	}
	left, err := c.compile(l.Left, depth)
	if err != nil {
		return nil, err
	}
	right, err := c.compile(l.Right, depth)
	if err != nil {
		return nil, err
	}
	if err := boolOperand(left, what); err != nil {
		return nil, err
	}
	if err := boolOperand(right, what); err != nil {
		return nil, err
	}
	or := l.Or
	le, re := left.eval, right.eval
	return &compiled{t: types.TBoolean(), eval: func(row []types.Value) (types.Value, error) {
		x, err := le(row)
		if err != nil {
			return nil, err
		}
		a, aok, err := asBool(x)
		if err != nil {
			return nil, err
		}
		// Short-circuit: FALSE AND _ is FALSE, TRUE OR _ is TRUE.
		if aok && a == or {
			return a, nil
		}
		y, err := re(row)
		if err != nil {
			return nil, err
		}
		b, bok, err := asBool(y)
		if err != nil {
			return nil, err
		}
		if bok && b == or {
			return b, nil
		}
		if !aok || !bok {
			return nil, nil
		}
		return !or, nil
	}}, nil
}

func (c *compiler) compileNot(n *ast.Not, depth int) (*compiled, error) {
	o, err := c.compile(n.Operand, depth)
	if err != nil {
		return nil, err
	}
	if err := boolOperand(o, "NOT"); err != nil {
		return nil, err
	}
	oe := o.eval
	return &compiled{t: types.TBoolean(), eval: func(row []types.Value) (types.Value, error) {
		v, err := oe(row)
		if err != nil {
			return nil, err
		}
		b, ok, err := asBool(v)
		if err != nil || !ok {
			return nil, err
		}
		return !b, nil
	}}, nil
}

func (c *compiler) compileIsNull(n *ast.IsNull, depth int) (*compiled, error) {
	o, err := c.compile(n.Operand, depth)
	if err != nil {
		return nil, err
	}
	not := n.Not
	oe := o.eval
	return &compiled{t: types.TBoolean(), eval: func(row []types.Value) (types.Value, error) {
		v, err := oe(row)
		if err != nil {
			return nil, err
		}
		return (v == nil) != not, nil
	}}, nil
}

func (c *compiler) compileCast(n *ast.Cast, depth int) (*compiled, error) {
	o, err := c.compile(n.Operand, depth)
	if err != nil {
		return nil, err
	}
	to, err := convertType(n.Type)
	if err != nil {
		return nil, errAt(n, "%v", err)
	}
	if o.isNull() {
		return constant(to, nil), nil
	}
	from := o.t
	if err := types.CanCast(from, to); err != nil {
		return nil, errAt(n, "Cast of %s to %s is not supported", from, to)
	}
	oe := o.eval
	return &compiled{t: to, eval: func(row []types.Value) (types.Value, error) {
		v, err := oe(row)
		if err != nil || v == nil {
			return nil, err
		}
		r, err := types.Cast(v, from, to)
		if err != nil {
			return nil, nil // ksqlDB: a failed cast yields NULL
		}
		return r, nil
	}}, nil
}

// commonOf returns the common type of the given compiled nodes, skipping NULL literals.
// ok is false when two of them have no common type; the returned index is the first
// offending node.
func commonOf(cs []*compiled) (t types.Type, bad int, ok bool) {
	for i, ce := range cs {
		if ce.isNull() {
			continue
		}
		if t.Kind == types.KindInvalid {
			t = ce.t
			continue
		}
		u, ok := types.CommonType(t, ce.t)
		if !ok {
			return t, i, false
		}
		t = u
	}
	return t, -1, true
}

// widenTo returns an evaluator producing ce's value converted to type t.
func widenTo(ce *compiled, t types.Type) evalFn {
	if ce.isNull() || ce.t.Equal(t) || t.Kind == types.KindInvalid {
		return ce.eval
	}
	from, e := ce.t, ce.eval
	return func(row []types.Value) (types.Value, error) {
		v, err := e(row)
		if err != nil || v == nil {
			return nil, err
		}
		w, err := types.Widen(v, from, t)
		if err != nil {
			if w, err = types.Cast(v, from, t); err != nil {
				return nil, nil
			}
		}
		return w, nil
	}
}

func (c *compiler) compileCase(n *ast.Case, depth int) (*compiled, error) {
	var operand *compiled
	var err error
	if n.Operand != nil {
		if operand, err = c.compile(n.Operand, depth); err != nil {
			return nil, err
		}
	}
	conds := make([]evalFn, len(n.Whens))
	results := make([]*compiled, 0, len(n.Whens)+1)
	for i, w := range n.Whens {
		cond, err := c.compile(w.When, depth)
		if err != nil {
			return nil, err
		}
		if operand != nil {
			cmp, err := comparisonEval(ast.CmpEq, operand, cond, w.When, false)
			if err != nil {
				return nil, err
			}
			conds[i] = cmp
		} else {
			if cond.t.Kind != types.KindBoolean && !cond.isNull() {
				return nil, errAt(w.When, "WHEN operand type should be boolean.\nType for '%s' is %s", ast.Format(w.When), typeName(cond.t))
			}
			conds[i] = cond.eval
		}
		then, err := c.compile(w.Then, depth)
		if err != nil {
			return nil, err
		}
		results = append(results, then)
	}
	if n.Else != nil {
		el, err := c.compile(n.Else, depth)
		if err != nil {
			return nil, err
		}
		results = append(results, el)
	}
	t, bad, ok := commonOf(results)
	if !ok {
		return nil, errAt(results[bad].expr, "Invalid Case expression. Type for all 'THEN' clauses should be the same.\nTHEN expression '%s' has type: %s. Previous THEN expression(s) type: %s.",
			ast.Format(results[bad].expr), typeName(results[bad].t), typeName(t))
	}
	evals := make([]evalFn, len(results))
	for i, r := range results {
		evals[i] = widenTo(r, t)
	}
	hasElse := n.Else != nil
	return &compiled{t: t, eval: func(row []types.Value) (types.Value, error) {
		for i, cond := range conds {
			v, err := cond(row)
			if err != nil {
				return nil, err
			}
			if b, ok := v.(bool); ok && b {
				return evals[i](row)
			}
		}
		if hasElse {
			return evals[len(evals)-1](row)
		}
		return nil, nil
	}}, nil
}

// intIndex reads an INTEGER or BIGINT value.
func intIndex(v types.Value) (int64, bool) {
	switch x := v.(type) {
	case int32:
		return int64(x), true
	case int64:
		return x, true
	}
	return 0, false
}

func (c *compiler) compileSubscript(n *ast.Subscript, depth int) (*compiled, error) {
	base, err := c.compile(n.Base, depth)
	if err != nil {
		return nil, err
	}
	idx, err := c.compile(n.Index, depth)
	if err != nil {
		return nil, err
	}
	if base.t.Kind != types.KindArray || base.t.Elem == nil {
		return nil, errAt(n, "Subscript expression can only be applied to ARRAY values, but %s is %s", ast.Format(n.Base), typeName(base.t))
	}
	if idx.t.Kind != types.KindInt && idx.t.Kind != types.KindBigint && !idx.isNull() {
		return nil, errAt(n.Index, "Array index must be INTEGER or BIGINT, but %s is %s", ast.Format(n.Index), typeName(idx.t))
	}
	be, ie := base.eval, idx.eval
	return &compiled{t: *base.t.Elem, eval: func(row []types.Value) (types.Value, error) {
		b, err := be(row)
		if err != nil || b == nil {
			return nil, err
		}
		arr, ok := b.([]types.Value)
		if !ok {
			return nil, fmt.Errorf("expr: expected ARRAY value, got %T", b)
		}
		iv, err := ie(row)
		if err != nil || iv == nil {
			return nil, err
		}
		i, _ := intIndex(iv)
		return arrayAt(arr, i), nil
	}}, nil
}

// arrayAt is ksqlDB's 1-based array access: negative indexes count from the end, anything out
// of range is NULL.
func arrayAt(arr []types.Value, i int64) types.Value {
	n := int64(len(arr))
	switch {
	case i >= 1 && i <= n:
		return arr[i-1]
	case i < 0 && -i <= n:
		return arr[n+i]
	}
	return nil
}

func (c *compiler) compileDereference(n *ast.Dereference, depth int) (*compiled, error) {
	base, err := c.compile(n.Base, depth)
	if err != nil {
		return nil, err
	}
	if base.t.Kind != types.KindStruct {
		return nil, errAt(n, "Can't dereference %s: it is %s, not a STRUCT", ast.Format(n.Base), typeName(base.t))
	}
	fi := -1
	for i, f := range base.t.Fields {
		if f.Name == n.Field {
			fi = i
			break
		}
	}
	if fi < 0 {
		return nil, errAt(n, "Could not find field '%s' in '%s'.", n.Field, ast.Format(n.Base))
	}
	be := base.eval
	return &compiled{t: base.t.Fields[fi].Type, eval: func(row []types.Value) (types.Value, error) {
		b, err := be(row)
		if err != nil || b == nil {
			return nil, err
		}
		s, ok := b.(types.Struct)
		if !ok {
			return nil, fmt.Errorf("expr: expected STRUCT value, got %T", b)
		}
		if fi >= len(s) {
			return nil, nil
		}
		return s[fi], nil
	}}, nil
}

func (c *compiler) compileArray(n *ast.ArrayConstructor, depth int) (*compiled, error) {
	elems, err := c.compileAll(n.Elems, depth)
	if err != nil {
		return nil, err
	}
	if len(elems) == 0 {
		return nil, errAt(n, "Array constructor cannot be empty")
	}
	t, bad, ok := commonOf(elems)
	if !ok {
		return nil, errAt(elems[bad].expr, "invalid input syntax for type %s: %s", typeName(t), ast.Format(elems[bad].expr))
	}
	if t.Kind == types.KindInvalid {
		return nil, errAt(n, "Cannot construct an array with all NULL elements (explicit cast required)")
	}
	evals := make([]evalFn, len(elems))
	for i, e := range elems {
		evals[i] = widenTo(e, t)
	}
	return &compiled{t: types.ArrayOf(t), eval: evalList(evals)}, nil
}

// evalList evaluates each function into a fresh []types.Value.
func evalList(evals []evalFn) evalFn {
	return func(row []types.Value) (types.Value, error) {
		out := make([]types.Value, len(evals))
		for i, e := range evals {
			v, err := e(row)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
}

func (c *compiler) compileStruct(n *ast.StructConstructor, depth int) (*compiled, error) {
	fields := make([]types.Field, len(n.Fields))
	evals := make([]evalFn, len(n.Fields))
	seen := map[string]bool{}
	for i, f := range n.Fields {
		if seen[f.Name] {
			return nil, errAt(n, "Duplicate field names found in STRUCT: '%s'", f.Name)
		}
		seen[f.Name] = true
		v, err := c.compile(f.Value, depth)
		if err != nil {
			return nil, err
		}
		t := v.t
		if v.isNull() {
			t = types.TString() // an untyped NULL field: ksqlDB needs a cast; default to STRING
		}
		fields[i] = types.Field{Name: f.Name, Type: t}
		evals[i] = v.eval
	}
	list := evalList(evals)
	return &compiled{t: types.StructOf(fields...), eval: func(row []types.Value) (types.Value, error) {
		v, err := list(row)
		if err != nil {
			return nil, err
		}
		return types.Struct(v.([]types.Value)), nil
	}}, nil
}

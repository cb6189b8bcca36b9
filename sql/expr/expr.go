package expr

import (
	"fmt"

	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/types"
)

// Column is one column visible to an expression.
type Column struct {
	// Qualifier is the source alias the column belongs to; it may be "".
	Qualifier string
	// Name is the column's canonical name.
	Name string
	// Type is the column's SQL type.
	Type types.Type
}

// Scope is the row layout an expression is compiled against: value i of a row is Columns[i].
type Scope struct {
	Columns []Column
}

// Compiled is a type-checked expression, safe for concurrent use.
type Compiled interface {
	// Type is the SQL type of the expression's result (Kind types.KindInvalid for a bare
	// NULL literal).
	Type() types.Type
	// Eval computes the expression for one row laid out as the Scope it was compiled with.
	Eval(row []types.Value) (types.Value, error)
}

// Options tune compilation.
type Options struct {
	// Props are session properties, e.g. ksql.functions.substring.legacy.args.
	Props map[string]string
}

// Error is a compile error at a 1-based line and column of the expression's text.
type Error struct {
	Line, Column int
	// Message is the ksqlDB-worded message, without position.
	Message string
}

// Error formats the error as "line L:C: message".
func (e *Error) Error() string {
	return fmt.Sprintf("line %d:%d: %s", e.Line, e.Column, e.Message)
}

func errAt(n ast.Node, format string, args ...any) error {
	p := n.Pos()
	return &Error{Line: p.Line, Column: p.Column, Message: fmt.Sprintf(format, args...)}
}

// evalFn computes a value for a row.
type evalFn func(row []types.Value) (types.Value, error)

// compiled is the one implementation of Compiled.
type compiled struct {
	t    types.Type
	eval evalFn
	// lit is set when the node is a literal (for IN-list and comparison coercion).
	lit  *ast.Literal
	expr ast.Expr
}

func (c *compiled) Type() types.Type { return c.t }

func (c *compiled) Eval(row []types.Value) (types.Value, error) { return c.eval(row) }

// isNull reports whether the node is typeless (the NULL literal).
func (c *compiled) isNull() bool { return c.t.Kind == types.KindInvalid }

// Compile type-checks e against scope and returns its evaluator. A nil scope is an empty one.
func Compile(e ast.Expr, scope *Scope, opts Options) (Compiled, error) {
	if e == nil {
		return nil, fmt.Errorf("expr: nil expression")
	}
	if scope == nil {
		scope = &Scope{}
	}
	c := &compiler{scope: scope, opts: opts}
	return c.compile(e, 0)
}

// maxDepth bounds recursion so a deeply nested expression fails instead of exhausting the
// stack.
const maxDepth = 500

type compiler struct {
	scope *Scope
	opts  Options
}

func (c *compiler) compile(e ast.Expr, depth int) (*compiled, error) {
	if depth > maxDepth {
		return nil, errAt(e, "Expression nested too deeply")
	}
	d := depth + 1
	var out *compiled
	var err error
	switch x := e.(type) {
	case *ast.Literal:
		out, err = compileLiteral(x)
	case *ast.TypedLiteral:
		out, err = compileTypedLiteral(x)
	case *ast.ColumnRef:
		out, err = c.compileColumn(x)
	case *ast.AllColumns:
		err = errAt(x, "Invalid use of *: only COUNT(*) accepts it")
	case *ast.FunctionCall:
		out, err = c.compileCall(x, d)
	case *ast.Arithmetic:
		out, err = c.compileArith(x, d)
	case *ast.Negate:
		out, err = c.compileNegate(x, d)
	case *ast.Comparison:
		out, err = c.compileComparison(x, d)
	case *ast.Logical:
		out, err = c.compileLogical(x, d)
	case *ast.Not:
		out, err = c.compileNot(x, d)
	case *ast.IsNull:
		out, err = c.compileIsNull(x, d)
	case *ast.Between:
		out, err = c.compileBetween(x, d)
	case *ast.InList:
		out, err = c.compileIn(x, d)
	case *ast.Like:
		out, err = c.compileLike(x, d)
	case *ast.Cast:
		out, err = c.compileCast(x, d)
	case *ast.Case:
		out, err = c.compileCase(x, d)
	case *ast.Subscript:
		out, err = c.compileSubscript(x, d)
	case *ast.Dereference:
		out, err = c.compileDereference(x, d)
	case *ast.ArrayConstructor:
		out, err = c.compileArray(x, d)
	case *ast.StructConstructor:
		out, err = c.compileStruct(x, d)
	case *ast.MapConstructor:
		err = errAt(x, "MAP constructor is not supported: MAP values are not supported in v1")
	default:
		err = errAt(e, "unsupported expression %T", e)
	}
	if err != nil {
		return nil, err
	}
	out.expr = e
	return out, nil
}

// compileAll compiles each expression in order.
func (c *compiler) compileAll(es []ast.Expr, depth int) ([]*compiled, error) {
	out := make([]*compiled, len(es))
	for i, e := range es {
		ce, err := c.compile(e, depth)
		if err != nil {
			return nil, err
		}
		out[i] = ce
	}
	return out, nil
}

// typeName prints a type for messages; the NULL literal's type prints as NULL.
func typeName(t types.Type) string {
	if t.Kind == types.KindInvalid {
		return "NULL"
	}
	return t.String()
}

// convertType turns a parsed SQL type into a types.Type.
func convertType(t *ast.Type) (types.Type, error) {
	if t == nil {
		return types.Type{}, fmt.Errorf("missing type")
	}
	var out types.Type
	switch t.Kind {
	case ast.TypeBoolean:
		out = types.TBoolean()
	case ast.TypeInt:
		out = types.TInt()
	case ast.TypeBigint:
		out = types.TBigint()
	case ast.TypeDouble:
		out = types.TDouble()
	case ast.TypeDecimal:
		out = types.DecimalOf(t.Precision, t.Scale)
	case ast.TypeString:
		out = types.TString()
	case ast.TypeBytes:
		out = types.TBytes()
	case ast.TypeDate:
		out = types.TDate()
	case ast.TypeTime:
		out = types.TTime()
	case ast.TypeTimestamp:
		out = types.TTimestamp()
	case ast.TypeArray:
		e, err := convertType(t.Elem)
		if err != nil {
			return out, err
		}
		out = types.ArrayOf(e)
	case ast.TypeMap:
		k, err := convertType(t.Key)
		if err != nil {
			return out, err
		}
		v, err := convertType(t.Elem)
		if err != nil {
			return out, err
		}
		out = types.MapOf(k, v)
	case ast.TypeStruct:
		fs := make([]types.Field, len(t.Fields))
		for i, f := range t.Fields {
			ft, err := convertType(f.Type)
			if err != nil {
				return out, err
			}
			fs[i] = types.Field{Name: f.Name, Type: ft}
		}
		out = types.StructOf(fs...)
	case ast.TypeCustom:
		return out, msgError("Cannot resolve unknown type: " + t.Name)
	default:
		return out, fmt.Errorf("unsupported type %s", t)
	}
	if err := out.Validate(); err != nil {
		return out, err
	}
	return out, nil
}

package ast

// Expr is a value expression.
type Expr interface {
	Node
	exprNode()
}

// LiteralKind says which kind of literal a Literal is.
type LiteralKind int

// Literal kinds. Integer literals are INT when they fit 32 bits, else BIGINT (ksqlDB's rule).
// A number with a fraction and no exponent is DECIMAL; one with an exponent is DOUBLE.
const (
	LitNull LiteralKind = iota
	LitBoolean
	LitInt
	LitBigint
	LitDecimal
	LitDouble
	LitString
)

// Literal is a constant. Text is the canonical source text of a number (sign included), the
// unescaped value of a string, or TRUE/FALSE/NULL.
type Literal struct {
	At   Pos
	Kind LiteralKind
	Text string
	// Int holds the value of LitInt and LitBigint literals.
	Int int64
	// Bool holds the value of LitBoolean literals.
	Bool bool
}

// TypedLiteral is a type name followed by a string, e.g. DATE '2020-01-01'.
type TypedLiteral struct {
	At    Pos
	Type  *Type
	Value string
}

// ColumnRef names a column, optionally qualified by a source name or alias.
type ColumnRef struct {
	At        Pos
	Qualifier string // empty when unqualified
	Name      string
}

// AllColumns is * or source.* in a select list or COUNT(*).
type AllColumns struct {
	At        Pos
	Qualifier string // empty for a bare *
}

// FunctionCall is name(args). Star is set for name(*).
type FunctionCall struct {
	At       Pos
	Name     string
	Args     []Expr
	Star     bool
	Distinct bool
}

// BinaryOp is an arithmetic or concatenation operator.
type BinaryOp int

// Arithmetic operators, in ksqlDB's spelling order.
const (
	OpAdd BinaryOp = iota
	OpSub
	OpMul
	OpDiv
	OpMod
	OpConcat
)

// String is the operator's SQL spelling.
func (o BinaryOp) String() string {
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

// Arithmetic is Left Op Right.
type Arithmetic struct {
	At          Pos
	Op          BinaryOp
	Left, Right Expr
}

// Negate is unary minus (or plus, when Plus is set) applied to a non-literal.
type Negate struct {
	At      Pos
	Operand Expr
	Plus    bool
}

// CompareOp is a comparison operator.
type CompareOp int

// Comparison operators. NotEq covers both <> and !=.
const (
	CmpEq CompareOp = iota
	CmpNotEq
	CmpLt
	CmpLtEq
	CmpGt
	CmpGtEq
	CmpIsDistinctFrom
	CmpIsNotDistinctFrom
)

// String is the operator's SQL spelling as ksqlDB prints it.
func (o CompareOp) String() string {
	switch o {
	case CmpEq:
		return "="
	case CmpNotEq:
		return "<>"
	case CmpLt:
		return "<"
	case CmpLtEq:
		return "<="
	case CmpGt:
		return ">"
	case CmpGtEq:
		return ">="
	case CmpIsDistinctFrom:
		return "IS DISTINCT FROM"
	case CmpIsNotDistinctFrom:
		return "IS NOT DISTINCT FROM"
	}
	return "?"
}

// Comparison is Left Op Right.
type Comparison struct {
	At          Pos
	Op          CompareOp
	Left, Right Expr
}

// Logical is Left AND Right or Left OR Right.
type Logical struct {
	At          Pos
	Or          bool
	Left, Right Expr
}

// Not is NOT Operand.
type Not struct {
	At      Pos
	Operand Expr
}

// IsNull is Operand IS [NOT] NULL.
type IsNull struct {
	At      Pos
	Operand Expr
	Not     bool
}

// Between is Operand [NOT] BETWEEN Low AND High.
type Between struct {
	At                 Pos
	Operand, Low, High Expr
	Not                bool
}

// InList is Operand [NOT] IN (List...).
type InList struct {
	At      Pos
	Operand Expr
	List    []Expr
	Not     bool
}

// Like is Operand [NOT] LIKE Pattern [ESCAPE 'c'].
type Like struct {
	At               Pos
	Operand, Pattern Expr
	Escape           string // empty when absent
	Not              bool
}

// Cast is CAST(Operand AS Type).
type Cast struct {
	At      Pos
	Operand Expr
	Type    *Type
}

// WhenClause is one WHEN ... THEN ... of a CASE.
type WhenClause struct {
	When, Then Expr
}

// Case is a searched CASE (Operand nil) or a simple CASE x WHEN ... .
type Case struct {
	At      Pos
	Operand Expr
	Whens   []WhenClause
	Else    Expr // nil when absent
}

// Subscript is Base[Index].
type Subscript struct {
	At          Pos
	Base, Index Expr
}

// Dereference is Base->Field.
type Dereference struct {
	At    Pos
	Base  Expr
	Field string
}

// ArrayConstructor is ARRAY[Elems...].
type ArrayConstructor struct {
	At    Pos
	Elems []Expr
}

// StructConstructor is STRUCT(name := value, ...).
type StructConstructor struct {
	At     Pos
	Fields []StructFieldValue
}

// StructFieldValue is one name := value of a STRUCT constructor.
type StructFieldValue struct {
	Name  string
	Value Expr
}

// MapConstructor is MAP(key := value, ...).
type MapConstructor struct {
	At      Pos
	Entries []MapEntry
}

// MapEntry is one key := value of a MAP constructor.
type MapEntry struct {
	Key, Value Expr
}

// Pos implements Node.
func (e *Literal) Pos() Pos { return e.At }

// Pos implements Node.
func (e *TypedLiteral) Pos() Pos { return e.At }

// Pos implements Node.
func (e *ColumnRef) Pos() Pos { return e.At }

// Pos implements Node.
func (e *AllColumns) Pos() Pos { return e.At }

// Pos implements Node.
func (e *FunctionCall) Pos() Pos { return e.At }

// Pos implements Node.
func (e *Arithmetic) Pos() Pos { return e.At }

// Pos implements Node.
func (e *Negate) Pos() Pos { return e.At }

// Pos implements Node.
func (e *Comparison) Pos() Pos { return e.At }

// Pos implements Node.
func (e *Logical) Pos() Pos { return e.At }

// Pos implements Node.
func (e *Not) Pos() Pos { return e.At }

// Pos implements Node.
func (e *IsNull) Pos() Pos { return e.At }

// Pos implements Node.
func (e *Between) Pos() Pos { return e.At }

// Pos implements Node.
func (e *InList) Pos() Pos { return e.At }

// Pos implements Node.
func (e *Like) Pos() Pos { return e.At }

// Pos implements Node.
func (e *Cast) Pos() Pos { return e.At }

// Pos implements Node.
func (e *Case) Pos() Pos { return e.At }

// Pos implements Node.
func (e *Subscript) Pos() Pos { return e.At }

// Pos implements Node.
func (e *Dereference) Pos() Pos { return e.At }

// Pos implements Node.
func (e *ArrayConstructor) Pos() Pos { return e.At }

// Pos implements Node.
func (e *StructConstructor) Pos() Pos { return e.At }

// Pos implements Node.
func (e *MapConstructor) Pos() Pos { return e.At }

func (*Literal) exprNode()           {}
func (*TypedLiteral) exprNode()      {}
func (*ColumnRef) exprNode()         {}
func (*AllColumns) exprNode()        {}
func (*FunctionCall) exprNode()      {}
func (*Arithmetic) exprNode()        {}
func (*Negate) exprNode()            {}
func (*Comparison) exprNode()        {}
func (*Logical) exprNode()           {}
func (*Not) exprNode()               {}
func (*IsNull) exprNode()            {}
func (*Between) exprNode()           {}
func (*InList) exprNode()            {}
func (*Like) exprNode()              {}
func (*Cast) exprNode()              {}
func (*Case) exprNode()              {}
func (*Subscript) exprNode()         {}
func (*Dereference) exprNode()       {}
func (*ArrayConstructor) exprNode()  {}
func (*StructConstructor) exprNode() {}
func (*MapConstructor) exprNode()    {}

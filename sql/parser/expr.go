package parser

import (
	"github.com/streamlite/streamlite/sql/ast"
)

// Precedence, loosest first (ksqlDB's grammar): OR; AND; NOT; one predicate (comparison,
// BETWEEN, IN, LIKE, IS [NOT] NULL, IS [NOT] DISTINCT FROM) on value expressions; ||;
// binary + -; * / %; unary - +; postfix [i] and ->; primary.

// expr parses a boolean expression.
func (p *parser) expr() ast.Expr {
	p.enter()
	defer p.leave()
	left := p.and()
	for p.isKw("OR") {
		p.advance()
		left = &ast.Logical{At: left.Pos(), Or: true, Left: left, Right: p.and()}
	}
	return left
}

func (p *parser) and() ast.Expr {
	left := p.not()
	for p.isKw("AND") {
		p.advance()
		left = &ast.Logical{At: left.Pos(), Left: left, Right: p.not()}
	}
	return left
}

func (p *parser) not() ast.Expr {
	if p.isKw("NOT") {
		at := p.advance().pos
		p.enter()
		defer p.leave()
		return &ast.Not{At: at, Operand: p.not()}
	}
	return p.predicated()
}

func (p *parser) predicated() ast.Expr {
	v := p.value()
	at := v.Pos()
	if t := p.cur(); t.kind == tOp {
		op, ok := ast.CmpEq, true
		switch t.text {
		case "=":
		case "<>", "!=":
			op = ast.CmpNotEq
		case "<":
			op = ast.CmpLt
		case "<=":
			op = ast.CmpLtEq
		case ">":
			op = ast.CmpGt
		case ">=":
			op = ast.CmpGtEq
		default:
			ok = false
		}
		if ok {
			p.advance()
			return &ast.Comparison{At: at, Op: op, Left: v, Right: p.value()}
		}
		return v
	}
	if p.acceptKw("IS") {
		not := p.acceptKw("NOT")
		if p.acceptKw("NULL") {
			return &ast.IsNull{At: at, Operand: v, Not: not}
		}
		if p.acceptKw("DISTINCT") {
			p.expectKw("FROM")
			op := ast.CmpIsDistinctFrom
			if not {
				op = ast.CmpIsNotDistinctFrom
			}
			return &ast.Comparison{At: at, Op: op, Left: v, Right: p.value()}
		}
		p.failExpecting("{'NULL', 'DISTINCT'}")
	}
	not := false
	if p.isKw("NOT") && (p.isKwAt(1, "BETWEEN") || p.isKwAt(1, "IN") || p.isKwAt(1, "LIKE")) {
		p.advance()
		not = true
	}
	switch {
	case p.acceptKw("BETWEEN"):
		low := p.value()
		p.expectKw("AND")
		return &ast.Between{At: at, Operand: v, Low: low, High: p.value(), Not: not}
	case p.acceptKw("IN"):
		p.expectOp("(")
		list := p.exprList()
		p.expectOp(")")
		return &ast.InList{At: at, Operand: v, List: list, Not: not}
	case p.acceptKw("LIKE"):
		l := &ast.Like{At: at, Operand: v, Pattern: p.value(), Not: not}
		if p.acceptKw("ESCAPE") {
			l.Escape = p.stringLit("an escape character string")
		}
		return l
	}
	return v
}

func (p *parser) exprList() []ast.Expr {
	var out []ast.Expr
	for {
		out = append(out, p.expr())
		if !p.acceptOp(",") {
			return out
		}
	}
}

// value parses a value expression (no boolean operators or predicates at top level).
func (p *parser) value() ast.Expr {
	p.enter()
	defer p.leave()
	left := p.additive()
	for p.isOp("||") {
		p.advance()
		left = &ast.Arithmetic{At: left.Pos(), Op: ast.OpConcat, Left: left, Right: p.additive()}
	}
	return left
}

func (p *parser) additive() ast.Expr {
	left := p.multiplicative()
	for p.isOp("+") || p.isOp("-") {
		t := p.advance()
		op := ast.OpAdd
		if t.text == "-" {
			op = ast.OpSub
		}
		left = &ast.Arithmetic{At: left.Pos(), Op: op, Left: left, Right: p.multiplicative()}
	}
	return left
}

func (p *parser) multiplicative() ast.Expr {
	left := p.unary()
	for p.isOp("*") || p.isOp("/") || p.isOp("%") {
		t := p.advance()
		op := ast.OpMul
		switch t.text {
		case "/":
			op = ast.OpDiv
		case "%":
			op = ast.OpMod
		}
		left = &ast.Arithmetic{At: left.Pos(), Op: op, Left: left, Right: p.unary()}
	}
	return left
}

func (p *parser) unary() ast.Expr {
	if p.isOp("-") || p.isOp("+") {
		t := p.cur()
		if n := p.peek(1); t.text == "-" && (n.kind == tInteger || n.kind == tDecimal || n.kind == tFloat) {
			// ksqlDB reads a signed number as one literal: -2147483648 is an INT.
			return p.postfix(p.literal())
		}
		p.advance()
		p.enter()
		defer p.leave()
		return &ast.Negate{At: t.pos, Operand: p.unary(), Plus: t.text == "+"}
	}
	return p.postfix(p.primary())
}

func (p *parser) postfix(e ast.Expr) ast.Expr {
	for {
		switch {
		case p.isOp("["):
			p.advance()
			idx := p.value()
			p.expectOp("]")
			e = &ast.Subscript{At: e.Pos(), Base: e, Index: idx}
		case p.isOp("->"):
			p.advance()
			e = &ast.Dereference{At: e.Pos(), Base: e, Field: p.ident("a field name")}
		default:
			return e
		}
	}
}

func (p *parser) primary() ast.Expr {
	t := p.cur()
	switch t.kind {
	case tString, tInteger, tDecimal, tFloat:
		return p.literal()
	case tOp:
		if t.text == "(" {
			p.advance()
			inner := p.expr()
			p.expectOp(")")
			return inner // parentheses only group; the tree keeps no node for them
		}
	case tQuoted:
		return p.columnRef()
	case tIdent:
		next := p.peek(1)
		switch t.text {
		case "TRUE", "FALSE", "NULL":
			return p.literal()
		case "CASE":
			return p.caseExpr()
		case "CAST":
			p.advance()
			p.expectOp("(")
			e := p.expr()
			p.expectKw("AS")
			typ := p.typ()
			p.expectOp(")")
			return &ast.Cast{At: t.pos, Operand: e, Type: typ}
		case "ARRAY":
			if next.kind == tOp && next.text == "[" {
				p.i += 2
				a := &ast.ArrayConstructor{At: t.pos}
				if !p.isOp("]") {
					a.Elems = p.exprList()
				}
				p.expectOp("]")
				return a
			}
		case "STRUCT":
			if next.kind == tOp && next.text == "(" {
				return p.structConstructor()
			}
		case "MAP":
			if next.kind == tOp && next.text == "(" {
				return p.mapConstructor()
			}
		case "DATE", "TIME", "TIMESTAMP":
			if next.kind == tString {
				typ := p.typ()
				v := p.advance()
				return &ast.TypedLiteral{At: t.pos, Type: typ, Value: v.text}
			}
		}
		if ast.IsReserved(t.text) {
			break
		}
		if next.kind == tOp && next.text == "(" {
			return p.functionCall()
		}
		return p.columnRef()
	}
	p.failExpecting("an expression")
	return nil
}

func (p *parser) columnRef() ast.Expr {
	t := p.cur()
	name := p.ident("a column name")
	if p.isOp(".") && isIdentTok(p.peek(1)) {
		p.advance()
		return &ast.ColumnRef{At: t.pos, Qualifier: name, Name: p.ident("a column name")}
	}
	return &ast.ColumnRef{At: t.pos, Name: name}
}

func (p *parser) functionCall() ast.Expr {
	t := p.advance()
	p.expectOp("(")
	f := &ast.FunctionCall{At: t.pos, Name: t.text}
	switch {
	case p.isOp("*"):
		p.advance()
		f.Star = true
	case p.isOp(")"):
	default:
		f.Distinct = p.acceptKw("DISTINCT")
		f.Args = p.exprList()
	}
	p.expectOp(")")
	return f
}

func (p *parser) caseExpr() ast.Expr {
	c := &ast.Case{At: p.expectKw("CASE").pos}
	if !p.isKw("WHEN") {
		c.Operand = p.expr()
	}
	for p.acceptKw("WHEN") {
		w := p.expr()
		p.expectKw("THEN")
		c.Whens = append(c.Whens, ast.WhenClause{When: w, Then: p.expr()})
	}
	if len(c.Whens) == 0 {
		p.failExpecting("'WHEN'")
	}
	if p.acceptKw("ELSE") {
		c.Else = p.expr()
	}
	p.expectKw("END")
	return c
}

func (p *parser) structConstructor() ast.Expr {
	s := &ast.StructConstructor{At: p.advance().pos}
	p.expectOp("(")
	if !p.isOp(")") {
		for {
			name := p.ident("a field name")
			p.expectOp(":=")
			s.Fields = append(s.Fields, ast.StructFieldValue{Name: name, Value: p.expr()})
			if !p.acceptOp(",") {
				break
			}
		}
	}
	p.expectOp(")")
	return s
}

func (p *parser) mapConstructor() ast.Expr {
	m := &ast.MapConstructor{At: p.advance().pos}
	p.expectOp("(")
	if !p.isOp(")") {
		for {
			k := p.expr()
			p.expectOp(":=")
			m.Entries = append(m.Entries, ast.MapEntry{Key: k, Value: p.expr()})
			if !p.acceptOp(",") {
				break
			}
		}
	}
	p.expectOp(")")
	return m
}

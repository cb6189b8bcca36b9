package parser

import (
	"fmt"
	"strings"

	"github.com/streamlite/streamlite/sql/ast"
)

// maxDepth bounds the nesting of expressions and types, so hostile input (10,000 nested
// parentheses) ends in an error rather than a stack overflow.
const maxDepth = 200

// parser is a recursive-descent parser over a pre-lexed token slice. Errors abort the parse
// by panicking with a *bailout, which the entry points recover; nothing else is recovered.
type parser struct {
	src       string
	toks      []token
	i         int
	depth     int
	stmtStart int // token index where the current top-level statement starts
}

// bailout carries a parse error up the stack to the entry point. For syntax errors, near is
// the offending token and detail the ANTLR-style explanation; run composes the message.
type bailout struct {
	err    *Error
	syntax bool
	detail string
	near   token
}

func newParser(src string) *parser {
	l := newLexer(src)
	p := &parser{src: src}
	for {
		t := l.next()
		p.toks = append(p.toks, t)
		if t.kind == tEOF {
			break
		}
	}
	return p
}

// run calls f, turning a bailout into an error.
func (p *parser) run(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			if b.syntax {
				t := b.near
				b.err.Message = fmt.Sprintf("Syntax Error\n%s\nStatement: %s\nSyntax error at or near '%s' at line %d:%d",
					b.detail, p.failedStatement(), tokenText(t), t.pos.Line, t.pos.Column)
			}
			err = b.err
		}
	}()
	f()
	return nil
}

// ParseScript parses statements separated by semicolons. Each statement records its
// position and its source text (without the semicolon). On error it returns the statements
// parsed before the failing one together with an *Error, so len(stmts) is the index of the
// statement that failed.
func ParseScript(text string) ([]ast.Statement, error) {
	p := newParser(text)
	var out []ast.Statement
	err := p.run(func() {
		for {
			for p.isOp(";") {
				p.i++
			}
			if p.cur().kind == tEOF {
				return
			}
			p.stmtStart = p.i
			out = append(out, p.statement())
			if !p.isOp(";") && p.cur().kind != tEOF {
				p.failExpecting("';'")
			}
		}
	})
	return out, err
}

// ParseStatement parses exactly one statement; a trailing semicolon is allowed.
func ParseStatement(text string) (ast.Statement, error) {
	p := newParser(text)
	var s ast.Statement
	err := p.run(func() {
		if p.cur().kind == tEOF {
			p.failExpecting("a statement")
		}
		s = p.statement()
		if p.isOp(";") {
			p.i++
		}
		if p.cur().kind != tEOF {
			p.failExpecting("<EOF>")
		}
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// ParseExpr parses a single expression, such as a WHERE condition.
func ParseExpr(text string) (ast.Expr, error) {
	p := newParser(text)
	var e ast.Expr
	err := p.run(func() {
		e = p.expr()
		if p.cur().kind != tEOF {
			p.failExpecting("<EOF>")
		}
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// ParseType parses a SQL type such as DECIMAL(4, 2) or ARRAY<STRING>.
func ParseType(text string) (*ast.Type, error) {
	p := newParser(text)
	var t *ast.Type
	err := p.run(func() {
		t = p.typ()
		if p.cur().kind != tEOF {
			p.failExpecting("<EOF>")
		}
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// failedStatement is the text of the statement being parsed when an error struck, up to and
// including its semicolon, as ksqlDB quotes it in syntax errors.
func (p *parser) failedStatement() string {
	start := p.toks[p.stmtStart].off
	end := len(p.src)
	for j := p.stmtStart; j < len(p.toks); j++ {
		t := p.toks[j]
		if t.kind == tEOF || t.kind == tOp && t.text == ";" {
			end = t.end
			break
		}
	}
	return strings.TrimSpace(p.src[start:end])
}

// ---- token helpers ----

func (p *parser) cur() token { return p.toks[p.i] }

func (p *parser) peek(k int) token {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) advance() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) isKw(kw string) bool {
	t := p.cur()
	return t.kind == tIdent && t.text == kw
}

func (p *parser) isKwAt(k int, kw string) bool {
	t := p.peek(k)
	return t.kind == tIdent && t.text == kw
}

func (p *parser) isOp(op string) bool {
	t := p.cur()
	return t.kind == tOp && t.text == op
}

func (p *parser) acceptKw(kw string) bool {
	if p.isKw(kw) {
		p.i++
		return true
	}
	return false
}

func (p *parser) acceptOp(op string) bool {
	if p.isOp(op) {
		p.i++
		return true
	}
	return false
}

func (p *parser) expectKw(kw string) token {
	if !p.isKw(kw) {
		p.failExpecting("'" + kw + "'")
	}
	return p.advance()
}

func (p *parser) expectOp(op string) token {
	if !p.isOp(op) {
		if op == ")" && p.isOp(",") {
			p.failAt(p.cur(), "missing ')' at ','")
		}
		p.failExpecting("'" + op + "'")
	}
	return p.advance()
}

// ---- errors ----

func tokenText(t token) string {
	if t.kind == tEOF {
		return "<EOF>"
	}
	return t.raw
}

// failAt aborts with a syntax error at t.
func (p *parser) failAt(t token, detail string) {
	panic(bailout{err: &Error{Line: t.pos.Line, Column: t.pos.Column, Message: "Syntax Error\n" + detail},
		syntax: true, detail: detail, near: t})
}

// failExpecting aborts with "mismatched input 'x' expecting what" at the current token.
func (p *parser) failExpecting(what string) {
	t := p.cur()
	switch t.kind {
	case tIllegal:
		if t.raw != "" && (t.raw[0] == '\'' || t.raw[0] == '`' || t.raw[0] == '"') {
			p.failAt(t, "unterminated quoted text "+strings.TrimSpace(clip(t.raw)))
		}
		p.failAt(t, fmt.Sprintf("token recognition error at: '%s'", t.raw))
	case tEOF:
		p.failAt(t, "mismatched input '<EOF>' expecting "+what)
	}
	p.failAt(t, fmt.Sprintf("mismatched input '%s' expecting %s", clip(t.raw), what))
}

// failPlain aborts with a non-syntax error at t.
func (p *parser) failPlain(t token, msg string) {
	panic(bailout{err: &Error{Line: t.pos.Line, Column: t.pos.Column, Message: msg}})
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// try runs f; if f fails with a parse error it reports false and the caller must restore
// its position. Used for the rare places where the grammar needs backtracking.
func (p *parser) try(f func()) (ok bool) {
	depth := p.depth
	defer func() {
		if r := recover(); r != nil {
			if _, isBailout := r.(bailout); !isBailout {
				panic(r)
			}
			p.depth = depth
			ok = false
		}
	}()
	f()
	return true
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.failPlain(p.cur(), fmt.Sprintf("Syntax Error\nexpression nested more than %d levels deep", maxDepth))
	}
}

func (p *parser) leave() { p.depth-- }

// ---- identifiers ----

// isIdentTok reports whether t can be an identifier: a non-reserved word or a quoted name.
func isIdentTok(t token) bool {
	return t.kind == tQuoted || t.kind == tIdent && !ast.IsReserved(t.text)
}

// ident parses an identifier and returns its canonical name.
func (p *parser) ident(what string) string {
	t := p.cur()
	if !isIdentTok(t) {
		p.failExpecting(what)
	}
	p.i++
	return t.text
}

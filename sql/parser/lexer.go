package parser

import (
	"strings"

	"github.com/streamlite/streamlite/sql/ast"
)

// tokKind is the lexical class of a token.
type tokKind int

const (
	tEOF     tokKind = iota
	tIdent           // unquoted identifier or keyword; text upper-cased
	tQuoted          // `quoted` or "quoted" identifier; text unescaped
	tString          // 'string'; text unescaped
	tInteger         // 123
	tDecimal         // 1.5, .5, 1.
	tFloat           // 1e3, 1.5E-2
	tOp              // punctuation and operators; text is the operator
	tIllegal         // a character or unterminated token the lexer cannot read
)

// token is one lexical token. raw is the exact source text.
type token struct {
	kind tokKind
	text string
	raw  string
	pos  ast.Pos
	off  int // byte offset of the first character
	end  int // byte offset after the last character
}

// lexer splits SQL text into tokens. Comments (-- and /* */) and whitespace are skipped.
type lexer struct {
	src  string
	off  int
	line int
	col  int
}

func newLexer(src string) *lexer { return &lexer{src: src, line: 1, col: 1} }

func (l *lexer) advance(n int) {
	for i := 0; i < n && l.off < len(l.src); i++ {
		if l.src[l.off] == '\n' {
			l.line++
			l.col = 1
		} else if l.src[l.off]&0xC0 != 0x80 {
			l.col++
		}
		l.off++
	}
	// Count a UTF-8 character once: continuation bytes above did not advance the column,
	// but the lead byte did.
}

func (l *lexer) peekByte(k int) byte {
	if l.off+k < len(l.src) {
		return l.src[l.off+k]
	}
	return 0
}

func (l *lexer) skipSpace() {
	for l.off < len(l.src) {
		c := l.src[l.off]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			l.advance(1)
		case c == '-' && l.peekByte(1) == '-':
			for l.off < len(l.src) && l.src[l.off] != '\n' {
				l.advance(1)
			}
		case c == '/' && l.peekByte(1) == '*':
			l.advance(2)
			for l.off < len(l.src) && !(l.src[l.off] == '*' && l.peekByte(1) == '/') {
				l.advance(1)
			}
			l.advance(2)
		default:
			return
		}
	}
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '@' || c >= 0x80
}

func isIdentPart(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9' || c == '$'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// next returns the next token.
func (l *lexer) next() token {
	l.skipSpace()
	t := token{pos: ast.Pos{Line: l.line, Column: l.col}, off: l.off}
	if l.off >= len(l.src) {
		t.kind = tEOF
		t.end = l.off
		return t
	}
	c := l.src[l.off]
	start := l.off
	switch {
	case isIdentStart(c):
		n := 0
		for l.off+n < len(l.src) && isIdentPart(l.src[l.off+n]) {
			n++
		}
		l.advance(n)
		t.kind = tIdent
		t.text = strings.ToUpper(l.src[start:l.off])
	case isDigit(c) || c == '.' && isDigit(l.peekByte(1)):
		t.kind = l.number()
		t.text = l.src[start:l.off]
		if t.kind != tDecimal && isIdentPart(l.peekByte(0)) {
			// ksqlDB's DIGIT_IDENTIFIER: 1R is an identifier, as the longest match.
			for l.off < len(l.src) && isIdentPart(l.src[l.off]) {
				l.advance(1)
			}
			t.kind = tIdent
			t.text = strings.ToUpper(l.src[start:l.off])
		}
	case c == '\'' || c == '`' || c == '"':
		text, ok := l.quoted(c)
		switch {
		case !ok:
			t.kind = tIllegal
		case c == '\'':
			t.kind = tString
		default:
			t.kind = tQuoted
		}
		t.text = text
	default:
		t.kind = tOp
		for _, op := range [...]string{"<>", "!=", "<=", ">=", "||", "->", ":="} {
			if strings.HasPrefix(l.src[l.off:], op) {
				l.advance(2)
				t.text = op
				break
			}
		}
		if t.text == "" {
			if strings.IndexByte("()[],.;=<>+-*/%:", c) >= 0 {
				t.text = string(c)
				l.advance(1)
			} else {
				t.kind = tIllegal
				l.advance(1)
				for l.off < len(l.src) && l.src[l.off]&0xC0 == 0x80 {
					l.advance(1)
				}
				t.text = l.src[start:l.off]
			}
		}
	}
	t.end = l.off
	t.raw = l.src[start:l.off]
	return t
}

// number scans an integer, decimal or floating-point literal.
func (l *lexer) number() tokKind {
	kind := tInteger
	for isDigit(l.peekByte(0)) {
		l.advance(1)
	}
	if l.peekByte(0) == '.' {
		kind = tDecimal
		l.advance(1)
		for isDigit(l.peekByte(0)) {
			l.advance(1)
		}
	}
	if e := l.peekByte(0); e == 'e' || e == 'E' {
		k := 1
		if s := l.peekByte(1); s == '+' || s == '-' {
			k = 2
		}
		if isDigit(l.peekByte(k)) {
			kind = tFloat
			l.advance(k)
			for isDigit(l.peekByte(0)) {
				l.advance(1)
			}
		}
	}
	return kind
}

// quoted scans a string or quoted identifier closed by q, where a doubled q stands for one.
func (l *lexer) quoted(q byte) (string, bool) {
	l.advance(1)
	var b strings.Builder
	for l.off < len(l.src) {
		c := l.src[l.off]
		if c == q {
			if l.peekByte(1) == q {
				b.WriteByte(q)
				l.advance(2)
				continue
			}
			l.advance(1)
			return b.String(), true
		}
		b.WriteByte(c)
		l.advance(1)
	}
	return b.String(), false
}

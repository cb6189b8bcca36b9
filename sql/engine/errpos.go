package engine

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/expr"
)

// Positions of planning errors. An *Error refusing a SELECT (a transient
// query's, or the query of CREATE ... AS SELECT and INSERT INTO ...
// SELECT) carries the 1-based line and column, in the statement's text,
// of the token to blame:
//
//   - a compile error of package expr (an unknown column or function,
//     arguments of the wrong types, an aggregate where none may be): the
//     node the compiler names, kept by statementErr when the error is one
//     of its arguments;
//   - an unknown source: its name in FROM or JOIN; a JOIN ON column that
//     does not resolve: the column; a refused ON condition: the
//     condition; a join refused otherwise (the kinds of its sides, its
//     WITHIN): its JOIN keyword;
//   - a refused aggregate call: the call; a refused expression (WHERE
//     that is not boolean, arithmetic on NULL, a duplicate column): the
//     expression; a pull query's WHERE that cannot be looked up: the
//     condition (of a disjunct, its first);
//   - a clause refused as a whole (a pull query's GROUP BY, HAVING,
//     PARTITION BY, a window on a table): its first expression, and for a
//     WINDOW the token after the keyword;
//   - anything else (LIMIT, EMIT FINAL, what the query as a whole does
//     not allow): the SELECT keyword.
//
// CREATE ... AS SELECT and INSERT INTO ... SELECT refusals that are about
// the statement rather than its query (the name is taken, the result is
// a table for CREATE STREAM) point at the statement's first token.
// Messages keep ksqlDB's text; a compile error's message keeps its own
// "line L:C: " prefix, as it did before positions were carried.

// posOf is the position err carries: an *Error's, or a compile error's
// of package expr; ok is false when it carries none.
func posOf(err error) (p ast.Pos, ok bool) {
	var ee *Error
	if errors.As(err, &ee) && ee.Line > 0 {
		return ast.Pos{Line: ee.Line, Column: ee.Column}, true
	}
	var ce *expr.Error
	if errors.As(err, &ce) && ce.Line > 0 {
		return ast.Pos{Line: ce.Line, Column: ce.Column}, true
	}
	return ast.Pos{}, false
}

// errPos is the position err carries, else n's.
func errPos(err error, n ast.Node) ast.Pos {
	if p, ok := posOf(err); ok {
		return p
	}
	return nodePos(n)
}

// posErr is a statement error at p (no position when p is the zero
// Pos).
func posErr(p ast.Pos, format string, args ...any) error {
	return &Error{Phase: PhaseStatement, Line: p.Line, Column: p.Column, Msg: fmt.Sprintf(format, args...)}
}

// errAt is a statement error at n's first token.
func errAt(n ast.Node, format string, args ...any) error {
	return posErr(nodePos(n), format, args...)
}

// nodePos is n's position, the zero Pos for a nil node.
func nodePos(n ast.Node) ast.Pos {
	if n == nil {
		return ast.Pos{}
	}
	if v := reflect.ValueOf(n); v.Kind() == reflect.Pointer && v.IsNil() {
		return ast.Pos{} // a typed nil, such as an absent *ast.SourceRef
	}
	return n.Pos()
}

// blame gives err the position of n when err is an *Error without one
// (and n has one); any other error comes back as it is. The *Error is
// copied, never changed.
func blame(err error, n ast.Node) error {
	ee, ok := err.(*Error)
	if !ok || ee.Line > 0 {
		return err
	}
	p := nodePos(n)
	if p.Line == 0 {
		return err
	}
	c := *ee
	c.Line, c.Column = p.Line, p.Column
	return &c
}

// located is blame for the last step of planning, which leaves no error
// without a position: an *Error without one is put at n; any other error
// (a serializer's, say, or an *Error inside another) becomes an *Error
// wrapping it, at the position it carries or else at n.
func located(err error, n ast.Node) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*Error); ok {
		return blame(err, n)
	}
	p, ok := posOf(err)
	if !ok {
		p = nodePos(n)
	}
	phase := PhaseStatement
	var ee *Error
	if errors.As(err, &ee) {
		phase = ee.Phase
	}
	return &Error{Phase: phase, Line: p.Line, Column: p.Column, Msg: err.Error(), cause: err}
}

package parser

import "fmt"

// Error is a parse error at a 1-based line and column of the parsed text.
//
// Syntax errors have a Message of the form ksqlDB uses, "Syntax Error\n<detail>", where the
// detail reads like ANTLR's ("mismatched input 'x' expecting ...", "missing ')' at ','"),
// followed by ksqlDB's other phrasing "Syntax error at or near 'x' at line L:C" so that
// callers comparing against either form find it. Other errors (an integer literal out of
// range, nesting too deep) carry a one-line message.
type Error struct {
	Line    int
	Column  int
	Message string
}

// Error formats the error as "line L:C: message".
func (e *Error) Error() string {
	return fmt.Sprintf("line %d:%d: %s", e.Line, e.Column, e.Message)
}

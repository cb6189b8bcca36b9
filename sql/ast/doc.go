// Package ast is the syntax tree of streamlite's ksqlDB-compatible SQL dialect.
//
// The parser (package sql/parser) builds these nodes; the planner reads them. Every node
// carries the position (1-based line and column) of its first token in the parsed text (for
// a parenthesized expression, the first token inside the parentheses: the tree keeps no node
// for grouping parentheses), so later stages can report errors the way ksqlDB does
// ("line 1:33: ...").
//
// Identifiers are stored in their canonical form: unquoted identifiers upper-cased (ksqlDB's
// rule), quoted identifiers (`x` or "x") exactly as written. Numeric literals keep their
// source text so DECIMAL scale and precision survive (1.10 and 1.1 differ).
//
// Trees are plain values: nodes hold no references back to parents and may be shared
// read-only between goroutines once built.
package ast

import "fmt"

// Pos is a 1-based line and column in the parsed text.
type Pos struct {
	Line   int
	Column int
}

// String formats the position as "line:column".
func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Column) }

// Node is any syntax tree node.
type Node interface {
	// Pos is the position of the node's first token.
	Pos() Pos
}

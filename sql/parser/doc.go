// Package parser reads ksqlDB's SQL dialect into the syntax tree of package sql/ast.
//
// It is a hand-written lexer and recursive-descent parser. Entry points:
//
//   - ParseScript: statements separated by ';', each with its position and source text;
//   - ParseStatement: exactly one statement;
//   - ParseExpr and ParseType: a single expression or type, for tools and tests.
//
// Rules it follows from ksqlDB: unquoted identifiers are upper-cased, `back-quoted` and
// "double-quoted" ones keep their case; words that start or continue clauses (SELECT, FROM,
// JOIN, WINDOW, AND, ...: see ast.IsReserved) must be quoted to be identifiers, while all
// other keywords (KEY, VALUE, SIZE, TIMESTAMP, ...) may name columns and sources. A name that
// starts with a digit (1R) is an identifier, as in ksqlDB's lexer. Integer literals are INT
// when they fit 32 bits, else BIGINT, else an "Invalid numeric literal" error; a minus sign
// directly before a number is part of the literal; numbers with a fraction are DECIMAL and
// keep their text; numbers with an exponent are DOUBLE.
//
// Operator precedence, loosest first: OR; AND; NOT; a single predicate (=, <>, !=, <, <=, >,
// >=, IS [NOT] NULL, IS [NOT] DISTINCT FROM, [NOT] BETWEEN, [NOT] IN, [NOT] LIKE); ||; + -;
// * / %; unary - +; subscript [i] and dereference ->. GROUP BY and PARTITION BY take value
// expressions (so "GROUP BY a AND b" is a syntax error, as in ksqlDB) or one parenthesized
// list.
//
// Errors are *Error values with a 1-based line and column relative to the parsed text; see
// Error for the message format. The parser never panics on any input: nesting deeper than
// 200 levels is an error, not a stack overflow. Parsers hold no shared state, so the entry
// points are safe to call from many goroutines.
package parser

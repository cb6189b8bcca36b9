// Package expr type-checks and evaluates ksqlDB value expressions, and holds the scalar
// function library.
//
// [Compile] resolves an [ast.Expr] against a [Scope] (the columns of the row an expression
// sees, in row order), checks operand types with ksqlDB's rules, and returns a [Compiled]
// whose Eval computes the value for one row. Compile errors are [*Error] values carrying the
// 1-based line and column of the offending node and a ksqlDB-worded message ("Cannot compare
// ID (INTEGER) to '10' (STRING) with EQUAL.", "Column 'X' cannot be resolved.").
//
// Evaluation follows ksqlDB: NULL propagates through operators and most functions;
// AND/OR/NOT use three-valued logic, but a comparison with a NULL operand is false (and one
// with the NULL literal does not compile); per-record failures (division by zero, a CAST or
// date parse that fails, a bad regular expression at run time) yield NULL rather than an
// error. A STRING literal compared with ROWTIME, WINDOWSTART or WINDOWEND is read as a
// timestamp ("2020-01-01T00:00:00+0200").
//
// Function calls resolve among a function's overloads as ksqlDB's UdfIndex does: exact
// argument types first, then implicit casts (a number to a wider number, a STRING to DATE,
// TIME or TIMESTAMP); equally good candidates are ambiguous, an error. Date/time patterns are
// java.time DateTimeFormatter patterns, implemented in this package.
//
// Eval returns an error only for a row that does not match the scope (wrong length or a value
// of the wrong Go type where the evaluator needs one).
//
// The NULL literal has no type: its Compiled.Type() has Kind types.KindInvalid. Operators and
// functions accept it wherever a value of any type is allowed.
//
// A Compiled holds no mutable state and may be evaluated from many goroutines at once.
package expr

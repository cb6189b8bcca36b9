// Package types holds streamlite's ksqlDB-compatible SQL types and values.
//
// A [Type] describes a column (INTEGER, BIGINT, DOUBLE, DECIMAL(p, s), STRING, BOOLEAN, BYTES,
// DATE, TIME, TIMESTAMP, ARRAY<T>, MAP<K, V>, STRUCT<...>). Its String form is the spelling
// ksqlDB prints in schemas, and [ParseType] reads it back.
//
// A [Value] is a plain Go value whose dynamic type is fixed by the column type:
//
//	NULL       nil
//	BOOLEAN    bool
//	INTEGER    int32
//	BIGINT     int64
//	DOUBLE     float64
//	DECIMAL    Decimal (exact: unscaled big integer and scale)
//	STRING     string
//	BYTES      []byte
//	DATE       Date (days since 1970-01-01)
//	TIME       Time (milliseconds since midnight)
//	TIMESTAMP  Timestamp (milliseconds since the Unix epoch, UTC)
//	ARRAY      []Value
//	STRUCT     Struct (field values in declaration order)
//	MAP        []Value of Struct{key, value} entries (HISTOGRAM's result; JSON writes an object)
//
// [Compare], [Equal] and [Hash] follow ksqlDB's comparison rules (numbers compare across
// INTEGER/BIGINT/DECIMAL/DOUBLE after widening). [Cast] implements CAST, [Arith] the binary
// arithmetic operators with ksqlDB's result types (Java int/long wrap-around, DECIMAL result
// precision and scale, HALF_UP rounding).
//
// Errors: [ErrCastFailed] and [ErrArithmetic] are run-time failures that ksqlDB turns into a
// NULL result plus a processing-log entry; [ErrUnsupportedCast] is a planning error (the
// statement is rejected).
package types

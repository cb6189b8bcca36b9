package types

import (
	"errors"
	"fmt"
)

// Sentinel errors. Wrapped errors carry the details; test with errors.Is.
var (
	// ErrParseType is returned by ParseType for text that is not a type.
	ErrParseType = errors.New("types: cannot parse type")
	// ErrUnsupportedCast means the CAST is not allowed between the two types; ksqlDB
	// rejects the statement ("Cast of STRING to ARRAY<INTEGER> is not supported").
	ErrUnsupportedCast = errors.New("types: unsupported cast")
	// ErrCastFailed means a value could not be converted at run time (bad number text,
	// DECIMAL overflow, ...). ksqlDB yields NULL and logs the error.
	ErrCastFailed = errors.New("types: cast failed")
	// ErrArithmetic means an arithmetic operation failed at run time (division by zero,
	// DECIMAL overflow). ksqlDB yields NULL and logs the error.
	ErrArithmetic = errors.New("types: arithmetic error")
	// ErrIncomparable means two values of these types cannot be compared.
	ErrIncomparable = errors.New("types: values are not comparable")
	// ErrInvalidType is a malformed type descriptor (e.g. DECIMAL(0, 0)).
	ErrInvalidType = errors.New("types: invalid type")
)

func errorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidType, fmt.Sprintf(format, args...))
}

// IsRuntimeError reports whether err is a per-record evaluation failure (ErrCastFailed or
// ErrArithmetic) that ksqlDB turns into a NULL result rather than failing the query.
func IsRuntimeError(err error) bool {
	return errors.Is(err, ErrCastFailed) || errors.Is(err, ErrArithmetic)
}

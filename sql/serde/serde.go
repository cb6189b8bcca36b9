// Package serde encodes and decodes rows for the ksqlDB v1 formats: KAFKA, JSON, DELIMITED and
// NONE.
//
// A [Serde] is built once per (format, columns) pair — a source's key or value — and is then
// safe for concurrent use. A row is a []types.Value in column order; a nil row is a tombstone
// (null value) and encodes to nil bytes, and nil bytes decode to a nil row.
//
// Formats:
//
//	KAFKA      one column (or none). INTEGER 4-byte big-endian, BIGINT 8-byte big-endian,
//	           DOUBLE 8-byte IEEE-754 big-endian, STRING UTF-8, BYTES raw.
//	JSON       an object keyed by column name (decoding matches names case-insensitively,
//	           missing fields are NULL), or, for one unwrapped column, the bare value.
//	           DECIMAL is a JSON number with its exact scale, BYTES base64, DATE days,
//	           TIME ms of the day, TIMESTAMP epoch ms, ARRAY a JSON array.
//	DELIMITED  one line of CSV (delimiter ',' unless set), NULL as an empty field; quoting
//	           follows Apache Commons CSV's minimal mode, as ksqlDB's output does.
//	NONE       no columns; any bytes decode to an empty row.
//
// Decode errors wrap [ErrDecode] (test with [IsDecodeError]): the runtime counts the record
// and skips it. Unsupported column types are rejected by [New] with [ErrUnsupported].
package serde

import (
	"errors"
	"fmt"
	"strings"

	"github.com/streamlite/streamlite/sql/types"
)

// Format names a serialization format.
type Format string

// The v1 formats.
const (
	FormatKafka     Format = "KAFKA"
	FormatJSON      Format = "JSON"
	FormatDelimited Format = "DELIMITED"
	FormatNone      Format = "NONE"
)

// Errors.
var (
	// ErrDecode means the bytes are not a valid record for the schema; the runtime skips it.
	ErrDecode = errors.New("serde: cannot deserialize")
	// ErrEncode means a row cannot be serialized (wrong Go type for a column, NaN in JSON...).
	ErrEncode = errors.New("serde: cannot serialize")
	// ErrUnsupported means the format cannot hold the schema (e.g. ARRAY in KAFKA); ksqlDB
	// rejects the statement.
	ErrUnsupported = errors.New("serde: unsupported schema")
)

// IsDecodeError reports whether err is a record-level deserialization failure.
func IsDecodeError(err error) bool { return errors.Is(err, ErrDecode) }

// Column is one column of a key or value schema.
type Column struct {
	Name string
	Type types.Type
}

// Options configure a Serde. The zero value of each optional field is the ksqlDB default.
type Options struct {
	// Format is required.
	Format Format
	// Columns in order. KAFKA allows at most one; NONE none.
	Columns []Column
	// Unwrapped serializes a single column as a bare value rather than a one-field object
	// (JSON only: WRAP_SINGLE_VALUE=false, or the default for keys). KAFKA and DELIMITED are
	// always unwrapped.
	Unwrapped bool
	// Delimiter for DELIMITED (VALUE_DELIMITER / KEY_DELIMITER); 0 means ','. See
	// ParseDelimiter.
	Delimiter rune
}

// Serde encodes and decodes rows for one schema and format.
type Serde struct {
	opts Options
}

// New validates opts and returns a Serde. Errors wrap ErrUnsupported with ksqlDB's wording
// ("The 'KAFKA' format does not support type 'ARRAY'").
func New(opts Options) (*Serde, error) {
	opts.Format = Format(strings.ToUpper(string(opts.Format)))
	for _, c := range opts.Columns {
		if err := c.Type.Validate(); err != nil {
			return nil, fmt.Errorf("%w: column %s: %v", ErrUnsupported, c.Name, err)
		}
	}
	switch opts.Format {
	case FormatKafka:
		if len(opts.Columns) > 1 {
			return nil, fmt.Errorf("%w: The 'KAFKA' format only supports a single field. Got: %s", ErrUnsupported, colList(opts.Columns))
		}
		for _, c := range opts.Columns {
			switch c.Type.Kind {
			case types.KindInt, types.KindBigint, types.KindDouble, types.KindString, types.KindBytes:
			default:
				return nil, unsupportedType(opts.Format, c)
			}
		}
		opts.Unwrapped = true
	case FormatJSON:
	case FormatDelimited:
		for _, c := range opts.Columns {
			if !c.Type.IsPrimitive() {
				return nil, unsupportedType(opts.Format, c)
			}
		}
		if opts.Delimiter == 0 {
			opts.Delimiter = ','
		}
		if opts.Delimiter == '"' || opts.Delimiter == '\n' || opts.Delimiter == '\r' {
			return nil, fmt.Errorf("%w: invalid delimiter %q", ErrUnsupported, opts.Delimiter)
		}
		opts.Unwrapped = true
	case FormatNone:
		if len(opts.Columns) > 0 {
			return nil, fmt.Errorf("%w: The 'NONE' format can only be used when no columns are defined. Got: %s", ErrUnsupported, colList(opts.Columns))
		}
	default:
		return nil, fmt.Errorf("%w: Unknown format: %s", ErrUnsupported, opts.Format)
	}
	return &Serde{opts: opts}, nil
}

func unsupportedType(f Format, c Column) error {
	return fmt.Errorf("%w: The '%s' format does not support type '%s', column: `%s`", ErrUnsupported, f, c.Type.Kind, c.Name)
}

func colList(cols []Column) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = "`" + c.Name + "` " + c.Type.String()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// Options returns the effective options (defaults filled in).
func (s *Serde) Options() Options { return s.opts }

// Encode serializes row (one value per column). A nil row encodes to nil (tombstone).
func (s *Serde) Encode(row []types.Value) ([]byte, error) {
	if row == nil {
		return nil, nil
	}
	if len(row) != len(s.opts.Columns) && s.opts.Format != FormatNone {
		return nil, fmt.Errorf("%w: row has %d values, schema has %d columns", ErrEncode, len(row), len(s.opts.Columns))
	}
	switch s.opts.Format {
	case FormatKafka:
		return encodeKafka(row, s.opts.Columns)
	case FormatJSON:
		return encodeJSON(row, s.opts)
	case FormatDelimited:
		return encodeDelimited(row, s.opts)
	}
	return nil, nil
}

// Decode deserializes b. nil b decodes to a nil row (tombstone or null key). Errors wrap
// ErrDecode.
func (s *Serde) Decode(b []byte) ([]types.Value, error) {
	if b == nil {
		return nil, nil
	}
	switch s.opts.Format {
	case FormatKafka:
		return decodeKafka(b, s.opts.Columns)
	case FormatJSON:
		return decodeJSON(b, s.opts)
	case FormatDelimited:
		return decodeDelimited(b, s.opts)
	}
	return []types.Value{}, nil
}

// ParseDelimiter parses a VALUE_DELIMITER/KEY_DELIMITER property: a single character, or
// TAB or SPACE. The messages follow ksqlDB's.
func ParseDelimiter(s string) (rune, error) {
	switch strings.ToUpper(s) {
	case "TAB":
		return '\t', nil
	case "SPACE":
		return ' ', nil
	}
	r := []rune(s)
	if len(r) == 0 || strings.TrimSpace(s) == "" {
		return 0, fmt.Errorf("%w: Delimiter cannot be empty, if you meant to have a tab or space for delimiter, please use the special values 'TAB' or 'SPACE'", ErrUnsupported)
	}
	if len(r) != 1 {
		return 0, fmt.Errorf("%w: Invalid delimiter value: '%s'. Delimiter must be a single character or TAB,SPACE", ErrUnsupported, s)
	}
	return r[0], nil
}

func decodeErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrDecode, fmt.Sprintf(format, args...))
}

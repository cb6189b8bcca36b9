package serde

import (
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/streamlite/streamlite/sql/types"
)

func encodeKafka(row []types.Value, cols []Column) ([]byte, error) {
	if len(cols) == 0 || row[0] == nil {
		return nil, nil
	}
	switch x := row[0].(type) {
	case int32:
		return binary.BigEndian.AppendUint32(nil, uint32(x)), nil
	case int64:
		return binary.BigEndian.AppendUint64(nil, uint64(x)), nil
	case float64:
		return binary.BigEndian.AppendUint64(nil, math.Float64bits(x)), nil
	case string:
		return []byte(x), nil
	case []byte:
		return append([]byte{}, x...), nil
	}
	return nil, fmt.Errorf("%w: KAFKA column %s: unexpected %T", ErrEncode, cols[0].Name, row[0])
}

func decodeKafka(b []byte, cols []Column) ([]types.Value, error) {
	if len(cols) == 0 {
		return []types.Value{}, nil
	}
	c := cols[0]
	switch c.Type.Kind {
	case types.KindInt:
		if len(b) != 4 {
			return nil, decodeErr("Size of data received by IntegerDeserializer is not 4 (got %d)", len(b))
		}
		return []types.Value{int32(binary.BigEndian.Uint32(b))}, nil
	case types.KindBigint:
		if len(b) != 8 {
			return nil, decodeErr("Size of data received by LongDeserializer is not 8 (got %d)", len(b))
		}
		return []types.Value{int64(binary.BigEndian.Uint64(b))}, nil
	case types.KindDouble:
		if len(b) != 8 {
			return nil, decodeErr("Size of data received by DoubleDeserializer is not 8 (got %d)", len(b))
		}
		return []types.Value{math.Float64frombits(binary.BigEndian.Uint64(b))}, nil
	case types.KindString:
		if !utf8.Valid(b) {
			// Java's decoder replaces malformed input; do the same.
			return []types.Value{string([]rune(string(b)))}, nil
		}
		return []types.Value{string(b)}, nil
	case types.KindBytes:
		return []types.Value{append([]byte{}, b...)}, nil
	}
	return nil, decodeErr("KAFKA column %s: unsupported type %s", c.Name, c.Type)
}

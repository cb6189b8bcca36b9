package serde

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/streamlite/streamlite/sql/types"
)

func encodeJSON(row []types.Value, o Options) ([]byte, error) {
	var buf bytes.Buffer
	if o.Unwrapped && len(o.Columns) == 1 {
		if err := writeJSON(&buf, row[0], o.Columns[0].Type); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	buf.WriteByte('{')
	for i, c := range o.Columns {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(appendJSONString(buf.AvailableBuffer(), c.Name))
		buf.WriteByte(':')
		if err := writeJSON(&buf, row[i], c.Type); err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func writeJSON(buf *bytes.Buffer, v types.Value, t types.Type) error {
	if b, ok := appendJSONScalar(buf.AvailableBuffer(), v); ok {
		buf.Write(b)
		return nil
	}
	j, err := ToJSONValue(v, t)
	if err != nil {
		return err
	}
	b, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrEncode, err)
	}
	buf.Write(b)
	return nil
}

func decodeJSON(b []byte, o Options) ([]types.Value, error) {
	j, ok := parseJSON(b)
	if !ok {
		// The Decoder refuses it too, and says why.
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&j); err != nil {
			return nil, decodeErr("invalid JSON: %v", err)
		}
		if dec.More() {
			return nil, decodeErr("invalid JSON: trailing data")
		}
	}
	if j == nil {
		return nil, nil
	}
	row := make([]types.Value, len(o.Columns))
	obj, isObj := j.(map[string]any)
	single := len(o.Columns) == 1
	// An unwrapped single column takes the whole document; a wrapped single column also
	// accepts a bare non-object value (ksqlDB reads anonymous values leniently).
	if single && (o.Unwrapped || !isObj) {
		v, err := FromJSONValue(j, o.Columns[0].Type)
		if err == nil {
			row[0] = v
			return row, nil
		}
		if !isObj {
			return nil, err
		}
		// An unwrapped column given an object: read it as a wrapped record instead.
	}
	if !isObj {
		return nil, decodeErr("expected a JSON object, got %s", jsonKind(j))
	}
	for i, c := range o.Columns {
		e, ok := lookupFold(obj, c.Name)
		if !ok {
			continue
		}
		v, err := FromJSONValue(e, c.Type)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
		row[i] = v
	}
	return row, nil
}

package serde

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/streamlite/streamlite/sql/types"
)

// ToJSONValue converts v of type t to what a ksqlDB test expects to see in decoded JSON:
// numbers as json.Number (DECIMAL with its exact scale, DOUBLE in Java's text), BYTES as a
// base64 string, DATE as days, TIME as ms of the day, TIMESTAMP as epoch ms, ARRAY as []any,
// STRUCT as map[string]any, MAP (a []types.Value of Struct{key, value} entries) as
// map[string]any keyed by the keys' text. NaN and infinite DOUBLEs become the strings "NaN",
// "Infinity", "-Infinity".
func ToJSONValue(v types.Value, t types.Type) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch x := v.(type) {
	case bool:
		return x, nil
	case int32:
		return json.Number(strconv.FormatInt(int64(x), 10)), nil
	case int64:
		return json.Number(strconv.FormatInt(x, 10)), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return types.FormatDouble(x), nil
		}
		return json.Number(types.FormatDouble(x)), nil
	case types.Decimal:
		return json.Number(x.String()), nil
	case string:
		return x, nil
	case []byte:
		return base64.StdEncoding.EncodeToString(x), nil
	case types.Date:
		return json.Number(strconv.FormatInt(int64(x), 10)), nil
	case types.Time:
		return json.Number(strconv.FormatInt(int64(x), 10)), nil
	case types.Timestamp:
		return json.Number(strconv.FormatInt(int64(x), 10)), nil
	case []types.Value:
		if t.Kind == types.KindMap {
			return mapToJSON(x, t)
		}
		out := make([]any, len(x))
		var et types.Type
		if t.Elem != nil {
			et = *t.Elem
		}
		for i, e := range x {
			j, err := ToJSONValue(e, et)
			if err != nil {
				return nil, err
			}
			out[i] = j
		}
		return out, nil
	case types.Struct:
		out := make(map[string]any, len(x))
		for i, e := range x {
			if i >= len(t.Fields) {
				return nil, fmt.Errorf("%w: struct has more values than fields", ErrEncode)
			}
			j, err := ToJSONValue(e, t.Fields[i].Type)
			if err != nil {
				return nil, err
			}
			out[t.Fields[i].Name] = j
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: unexpected Go type %T for %s", ErrEncode, v, t)
}

// FromJSONValue converts a decoded JSON value (from encoding/json, with or without UseNumber)
// to a value of type t, with ksqlDB's JSON leniency: numbers and numeric strings for numeric
// columns (INTEGER/BIGINT from a larger or fractional number keep Java's narrowing), "true"/
// "false" strings for BOOLEAN, any scalar for STRING (objects and arrays as their JSON text),
// base64 strings for BYTES, numbers for DATE/TIME/TIMESTAMP, objects for MAP (entries sorted
// by key). DECIMAL must fit its type without rounding. Errors wrap ErrDecode.
func FromJSONValue(j any, t types.Type) (types.Value, error) {
	return fromJSON(j, t, 0)
}

const maxJSONDepth = 100

func fromJSON(j any, t types.Type, depth int) (types.Value, error) {
	if j == nil {
		return nil, nil
	}
	if depth > maxJSONDepth {
		return nil, decodeErr("JSON nested too deeply")
	}
	switch t.Kind {
	case types.KindBoolean:
		switch x := j.(type) {
		case bool:
			return x, nil
		case string:
			switch strings.ToLower(x) {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
		}
	case types.KindInt, types.KindBigint:
		n, ok, err := jsonInteger(j)
		if err != nil {
			return nil, err
		}
		if ok {
			if t.Kind == types.KindInt {
				return int32(n), nil
			}
			return n, nil
		}
	case types.KindDouble:
		switch x := j.(type) {
		case float64:
			return x, nil
		case json.Number:
			return parseJSONDouble(string(x))
		case string:
			return parseJSONDouble(x)
		}
	case types.KindDecimal:
		var text string
		switch x := j.(type) {
		case json.Number:
			text = string(x)
		case string:
			text = strings.TrimSpace(x)
		case float64:
			text = strconv.FormatFloat(x, 'g', -1, 64)
		default:
			return nil, decodeErr("cannot read %s from JSON %T", t, j)
		}
		d, err := types.ParseDecimal(text)
		if err != nil {
			return nil, decodeErr("%v", err)
		}
		d, err = d.FitExact(t.Precision, t.Scale)
		if err != nil {
			return nil, decodeErr("%v", err)
		}
		return d, nil
	case types.KindString:
		switch x := j.(type) {
		case string:
			return x, nil
		case bool:
			return strconv.FormatBool(x), nil
		case json.Number:
			return string(x), nil
		case float64:
			return types.FormatDouble(x), nil
		default:
			b, err := json.Marshal(x)
			if err != nil {
				return nil, decodeErr("%v", err)
			}
			return string(b), nil
		}
	case types.KindBytes:
		if x, ok := j.(string); ok {
			b, err := base64.StdEncoding.DecodeString(x)
			if err != nil {
				return nil, decodeErr("BYTES value is not base64: %v", err)
			}
			return b, nil
		}
	case types.KindDate, types.KindTime, types.KindTimestamp:
		n, ok, err := jsonInteger(j)
		if err != nil {
			return nil, err
		}
		if ok {
			switch t.Kind {
			case types.KindDate:
				return types.Date(n), nil
			case types.KindTime:
				if n < 0 || n >= types.MsPerDay {
					return nil, decodeErr("TIME out of range: %d", n)
				}
				return types.Time(n), nil
			}
			return types.Timestamp(n), nil
		}
	case types.KindArray:
		if x, ok := j.([]any); ok && t.Elem != nil {
			out := make([]types.Value, len(x))
			for i, e := range x {
				v, err := fromJSON(e, *t.Elem, depth+1)
				if err != nil {
					return nil, err
				}
				out[i] = v
			}
			return out, nil
		}
	case types.KindMap:
		if x, ok := j.(map[string]any); ok && t.Key != nil && t.Elem != nil {
			return mapFromJSON(x, t, depth)
		}
	case types.KindStruct:
		if x, ok := j.(map[string]any); ok {
			out := make(types.Struct, len(t.Fields))
			for i, f := range t.Fields {
				e, found := lookupFold(x, f.Name)
				if !found {
					continue
				}
				v, err := fromJSON(e, f.Type, depth+1)
				if err != nil {
					return nil, err
				}
				out[i] = v
			}
			return out, nil
		}
	}
	return nil, decodeErr("cannot read %s from JSON %s", t, jsonKind(j))
}

// mapToJSON writes a MAP value, a []types.Value of Struct{key, value}
// entries, as a JSON object keyed by the keys' text.
func mapToJSON(entries []types.Value, t types.Type) (any, error) {
	var kt, vt types.Type
	if t.Key != nil && t.Elem != nil {
		kt, vt = *t.Key, *t.Elem
	}
	out := make(map[string]any, len(entries))
	for _, e := range entries {
		kv, ok := e.(types.Struct)
		if !ok || len(kv) != 2 || kv[0] == nil {
			return nil, fmt.Errorf("%w: a %s entry must be a non-null key and a value", ErrEncode, t)
		}
		k, err := ToJSONValue(kv[0], kt)
		if err != nil {
			return nil, err
		}
		v, err := ToJSONValue(kv[1], vt)
		if err != nil {
			return nil, err
		}
		out[fmt.Sprint(k)] = v
	}
	return out, nil
}

// mapFromJSON reads a JSON object as a MAP value: Struct{key, value}
// entries sorted by key text, since JSON objects have no order.
func mapFromJSON(x map[string]any, t types.Type, depth int) (types.Value, error) {
	keys := make([]string, 0, len(x))
	for k := range x {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]types.Value, len(keys))
	for i, k := range keys {
		kv, err := fromJSON(k, *t.Key, depth+1)
		if err != nil {
			return nil, err
		}
		v, err := fromJSON(x[k], *t.Elem, depth+1)
		if err != nil {
			return nil, err
		}
		out[i] = types.Struct{kv, v}
	}
	return out, nil
}

func jsonKind(j any) string {
	switch j.(type) {
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", j)
}

// lookupFold finds name in m: exact match first, then case-insensitive.
func lookupFold(m map[string]any, name string) (any, bool) {
	if v, ok := m[name]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

// jsonInteger reads an integer like Jackson's intValue/longValue: integral numbers wrap to
// 64 bits, fractional numbers truncate, numeric strings parse.
func jsonInteger(j any) (int64, bool, error) {
	var text string
	switch x := j.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, false, decodeErr("not an integer: %v", x)
		}
		return javaD2L(x), true, nil
	case json.Number:
		text = string(x)
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			return 0, false, decodeErr("not an integer: %q", x)
		}
		return n, true, nil
	default:
		return 0, false, nil
	}
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return n, true, nil
	}
	if len(text) <= 400 && !strings.ContainsAny(text, ".eE") {
		if b, ok := new(big.Int).SetString(text, 10); ok {
			return int64(new(big.Int).And(b, new(big.Int).SetUint64(math.MaxUint64)).Uint64()), true, nil
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && !isRange(err) {
		return 0, false, decodeErr("not an integer: %s", text)
	}
	return javaD2L(f), true, nil
}

func isRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func javaD2L(f float64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f <= math.MinInt64:
		return math.MinInt64
	case f >= math.MaxInt64:
		return math.MaxInt64
	}
	return int64(f)
}

func parseJSONDouble(s string) (types.Value, error) {
	f, err := types.ParseDouble(s)
	if err != nil {
		return nil, decodeErr("%v", err)
	}
	return f, nil
}

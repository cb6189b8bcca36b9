package engine

import (
	"strings"

	"github.com/streamlite/streamlite/sql/types"
)

// A CREATE STREAM|TABLE AS SELECT WITH (TIMESTAMP='c') writes each output
// record with the time column c of the row holds, as ksqlDB does; a row
// whose c is null, negative or does not parse (TIMESTAMP_FORMAT for a
// STRING) is dropped. Queries reading the sink take record times from c
// too, as from any source declared with TIMESTAMP.

// sinkTimestamp sets sink's time column from its WITH clause w, checking
// it is one of its columns of a type that can hold a time.
func sinkTimestamp(sink *Source, w withProps) error {
	name, ok := w.str("TIMESTAMP")
	if !ok {
		return nil
	}
	name = strings.ToUpper(name)
	format, hasFormat := w.str("TIMESTAMP_FORMAT")
	for _, c := range sink.Columns {
		if c.Name != name || (c.NS != NSKey && c.NS != NSValue) {
			continue
		}
		switch c.Type.Kind {
		case types.KindBigint, types.KindTimestamp:
		case types.KindString:
			if !hasFormat {
				return statementErr("A timestamp_format is required when the timestamp column %s is a STRING", name)
			}
		default:
			return statementErr("Timestamp column, `%s`, should be LONG(INT64), TIMESTAMP, or a String with a timestamp_format specified", name)
		}
		sink.TimestampColumn, sink.TimestampFormat = name, format
		return nil
	}
	return statementErr("The TIMESTAMP column set in the WITH clause does not exist in the schema: '%s'", name)
}

// sinkTime is the record time of an output row of sink (keys and values in
// the order of its columns) from its time column; ok=false for a row to
// drop.
func sinkTime(sink *Source, keys, vals []types.Value) (int64, bool) {
	ki, vi := 0, 0
	for _, c := range sink.Columns {
		var v types.Value
		switch c.NS {
		case NSKey:
			if ki < len(keys) {
				v = keys[ki]
			}
			ki++
		case NSValue:
			if vi < len(vals) {
				v = vals[vi]
			}
			vi++
		default:
			continue
		}
		if c.Name != sink.TimestampColumn {
			continue
		}
		switch x := v.(type) {
		case int64:
			return x, x >= 0
		case types.Timestamp:
			return int64(x), x >= 0
		case string:
			t, err := parseTimestampFormat(x, sink.TimestampFormat)
			return t, err == nil && t >= 0
		}
		return 0, false
	}
	return 0, false
}

package runtime

import (
	"encoding/binary"
	"math"
	"reflect"
	"testing"
)

// TestPrintFormats checks PRINT's format guessing against ksqlDB's
// RecordFormatter: formats that fail a record are dropped for good, each
// record prints in the first format left that reads it, and the format
// lines change only when the formats left do.
func TestPrintFormats(t *testing.T) {
	i32 := binary.BigEndian.AppendUint32(nil, 7)
	i64 := binary.BigEndian.AppendUint64(nil, 1<<40)
	f64 := binary.BigEndian.AppendUint64(nil, math.Float64bits(1.5))
	for _, tc := range []struct {
		name     string
		values   [][]byte
		want     []string // each value as printed
		possible string   // the formats left after all values
	}{
		{"nothing", nil, nil, `¯\_(ツ)_/¯ - no data processed`},
		{"nulls only", [][]byte{nil}, []string{"<null>"}, `¯\_(ツ)_/¯ - no data processed`},
		{"json", [][]byte{[]byte(`{"A":1}`), []byte(`[1]`)}, []string{`{"A":1}`, `[1]`}, "JSON or KAFKA_STRING"},
		{"json then text", [][]byte{[]byte(`{"A":1}`), []byte(`hi`), []byte(`{"A":2}`)}, []string{`{"A":1}`, "hi", `{"A":2}`}, "KAFKA_STRING"},
		{"int", [][]byte{i32}, []string{"7"}, "KAFKA_INT or KAFKA_STRING"},
		{"bigint", [][]byte{i64}, []string{"1099511627776"}, "KAFKA_BIGINT or KAFKA_DOUBLE or KAFKA_STRING"},
		{"double", [][]byte{f64}, []string{"4609434218613702656"}, "KAFKA_BIGINT or KAFKA_DOUBLE"},
		{"bytes", [][]byte{{0, 1, 0xff, '\\', 'a'}}, []string{`\x00\x01\xFF\x5Ca`},
			" does not match any supported format. It may be a STRING with encoding other than UTF8, or some other format."},
		{"empty", [][]byte{{}}, []string{""}, " does not match any supported format. It may be a STRING with encoding other than UTF8, or some other format."},
		{"replacement char", [][]byte{[]byte("a\uFFFDb")}, []string{`a\xEF\xBF\xBDb`}, " does not match any supported format. It may be a STRING with encoding other than UTF8, or some other format."},
	} {
		g := newFormatGuesser()
		var got []string
		for _, v := range tc.values {
			got = append(got, g.format(v))
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: printed %q, want %q", tc.name, got, tc.want)
		}
		if p := g.possible(); p != tc.possible {
			t.Errorf("%s: formats %q, want %q", tc.name, p, tc.possible)
		}
	}

	// 8 bytes read as KAFKA_BIGINT first, so PRINT (like ksqlDB) shows a
	// double as a BIGINT; after 4-byte values neither is left, and a
	// double that is not UTF-8 prints as bytes.
	g := newFormatGuesser()
	g.format(i32)
	if got, want := g.format(f64), `?\xF8\x00\x00\x00\x00\x00\x00`; got != want {
		t.Errorf("double after int = %q, want %q", got, want)
	}
	if got, want := g.possible(), " does not match any supported format. It may be a STRING with encoding other than UTF8, or some other format."; got != want {
		t.Errorf("formats after int and double = %q, want %q", got, want)
	}

	f := newRecordFormatter()
	line := f.line(1609556645678, []byte("k1"), []byte(`{"A":1}`), 3)
	if want := `rowtime: 2021/01/02 03:04:05.678 Z, key: k1, value: {"A":1}, partition: 3`; line != want {
		t.Errorf("line = %q, want %q", line, want)
	}
	if got, want := f.formatLines(), []string{"Key format: KAFKA_STRING", "Value format: JSON or KAFKA_STRING"}; !reflect.DeepEqual(got, want) {
		t.Errorf("format lines = %q, want %q", got, want)
	}
	f.line(-1, []byte("k2"), []byte(`{"A":2}`), 0)
	if got := f.formatLines(); got != nil {
		t.Errorf("unchanged formats printed again: %q", got)
	}
	if line := f.line(-1, nil, []byte("x"), 0); line != "rowtime: N/A, key: <null>, value: x, partition: 0" {
		t.Errorf("line = %q", line)
	}
	if got, want := f.formatLines(), []string{"Value format: KAFKA_STRING"}; !reflect.DeepEqual(got, want) {
		t.Errorf("format lines = %q, want %q", got, want)
	}
}

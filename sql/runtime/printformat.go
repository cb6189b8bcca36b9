package runtime

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/streamlite/streamlite/sql/types"
)

// PRINT's record formatting, as ksqlDB's RecordFormatter does it: PRINT
// does not know a topic's formats, so it guesses them. Each side (key,
// value) starts with every format it knows; a format that fails to read a
// record is dropped for good, and each record prints in the first format
// still standing that reads it. The formats left are announced in
// "Key format: ..." and "Value format: ..." lines whenever they change.
//
// Deliberate gaps: no AVRO, PROTOBUF or JSON_SR (they need a schema
// registry) and no windowed key variants (TUMBLING(KAFKA_STRING), ...).

// printFormat is one format PRINT tries: read returns the record's text,
// ok false when the bytes are not in this format.
type printFormat struct {
	name string
	read func(b []byte) (string, bool)
}

// printFormats are the formats in ksqlDB's order of preference; the last
// (bytes, shown escaped) reads anything and is never announced.
var printFormats = []printFormat{
	{"JSON", func(b []byte) (string, bool) {
		if len(b) == 0 || !isPrintString(b) || !json.Valid(b) {
			return "", false
		}
		return string(b), true
	}},
	{"KAFKA_INT", func(b []byte) (string, bool) {
		if len(b) != 4 {
			return "", false
		}
		return strconv.FormatInt(int64(int32(binary.BigEndian.Uint32(b))), 10), true
	}},
	{"KAFKA_BIGINT", func(b []byte) (string, bool) {
		if len(b) != 8 {
			return "", false
		}
		return strconv.FormatInt(int64(binary.BigEndian.Uint64(b)), 10), true
	}},
	{"KAFKA_DOUBLE", func(b []byte) (string, bool) {
		if len(b) != 8 {
			return "", false
		}
		return types.FormatDouble(math.Float64frombits(binary.BigEndian.Uint64(b))), true
	}},
	{"KAFKA_STRING", func(b []byte) (string, bool) {
		if len(b) == 0 || !isPrintString(b) {
			return "", false
		}
		return string(b), true
	}},
	{bytesFormat, func(b []byte) (string, bool) { return escapeBytes(b), true }},
}

const bytesFormat = "UNRECOGNISED_BYTES"

// isPrintString reports whether b decodes as UTF-8 without a replacement
// character, ksqlDB's test for text.
func isPrintString(b []byte) bool {
	return utf8.Valid(b) && !bytes.ContainsRune(b, utf8.RuneError)
}

// escapeBytes renders bytes as Kafka's Bytes.toString does: printable
// ASCII as is (but the backslash), the rest as \xHH.
func escapeBytes(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		if c >= ' ' && c <= '~' && c != '\\' {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, "\\x%02X", c)
		}
	}
	return sb.String()
}

// formatGuesser is the narrowing list of one side's possible formats.
type formatGuesser struct {
	left []printFormat
	seen bool // a non-null key or value was read
}

func newFormatGuesser() *formatGuesser {
	return &formatGuesser{left: append([]printFormat(nil), printFormats...)}
}

// format renders b in the first format that reads it, dropping those that
// do not.
func (g *formatGuesser) format(b []byte) string {
	if b == nil {
		return "<null>"
	}
	g.seen = true
	out, found := "", false
	kept := g.left[:0]
	for _, f := range g.left {
		s, ok := f.read(b)
		if !ok {
			continue
		}
		kept = append(kept, f)
		if !found {
			out, found = s, true
		}
	}
	g.left = kept
	if !found {
		return "<Failed to deserialize>"
	}
	return out
}

// possible describes the formats still standing, as ksqlDB's "... format:"
// lines do.
func (g *formatGuesser) possible() string {
	if !g.seen {
		return `¯\_(ツ)_/¯ - no data processed`
	}
	var names []string
	for _, f := range g.left {
		if f.name != bytesFormat {
			names = append(names, f.name)
		}
	}
	if len(names) == 0 {
		// ksqlDB's wording, with the space its prefix already ends with.
		return " does not match any supported format. It may be a STRING with encoding other than UTF8, or some other format."
	}
	return strings.Join(names, " or ")
}

// recordFormatter formats a topic's records as PRINT lines.
type recordFormatter struct {
	key, value         *formatGuesser
	lastKey, lastValue string // the format lines last written; "" before the first
}

func newRecordFormatter() *recordFormatter {
	return &recordFormatter{key: newFormatGuesser(), value: newFormatGuesser()}
}

// line formats one record: "rowtime: 2021/01/02 03:04:05.678 Z, key: 1,
// value: {...}, partition: 0".
func (f *recordFormatter) line(timestamp int64, key, value []byte, partition int32) string {
	rowtime := "N/A"
	if timestamp != -1 {
		rowtime = time.UnixMilli(timestamp).UTC().Format("2006/01/02 15:04:05.000") + " Z"
	}
	return fmt.Sprintf("rowtime: %s, key: %s, value: %s, partition: %d", rowtime, f.key.format(key), f.value.format(value), partition)
}

// formatLines returns the "Key format: ..." and "Value format: ..." lines
// that changed since the last call (both on the first).
func (f *recordFormatter) formatLines() []string {
	var out []string
	if k := "Key format: " + f.key.possible(); k != f.lastKey {
		f.lastKey = k
		out = append(out, k)
	}
	if v := "Value format: " + f.value.possible(); v != f.lastValue {
		f.lastValue = v
		out = append(out, v)
	}
	return out
}

package cluster

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"unicode/utf8"
)

// writeJSONString appends s as a JSON string (invalid UTF-8 becomes U+FFFD).
func writeJSONString(buf *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	buf.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				buf.WriteByte('\\')
				buf.WriteByte(c)
			case c == '\n':
				buf.WriteString(`\n`)
			case c == '\r':
				buf.WriteString(`\r`)
			case c == '\t':
				buf.WriteString(`\t`)
			case c < 0x20:
				buf.WriteString(`\u00`)
				buf.WriteByte(hex[c>>4])
				buf.WriteByte(hex[c&0xf])
			default:
				buf.WriteByte(c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			buf.WriteString(`\ufffd`)
		} else {
			buf.WriteString(s[i : i+n])
		}
		i += n
	}
	buf.WriteByte('"')
}

// writeJSONBytes appends b as Avro's JSON encoding of bytes: a string whose code points
// are the byte values.
func writeJSONBytes(buf *bytes.Buffer, b []byte) {
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = rune(c)
	}
	writeJSONString(buf, string(rs))
}

// writeJSONNumber appends f; NaN and infinities, which JSON lacks, as strings.
func writeJSONNumber(buf *bytes.Buffer, f float64, bits int) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		writeJSONString(buf, strconv.FormatFloat(f, 'g', -1, bits))
		return
	}
	b, _ := json.Marshal(f)
	if bits == 32 {
		b = strconv.AppendFloat(b[:0], f, 'g', -1, 32)
	}
	buf.Write(b)
}

package serde

import (
	"strconv"
	"unicode/utf8"

	"github.com/streamlite/streamlite/sql/types"
)

// appendJSONScalar is the fast path of writeJSON: it appends v as
// json.Marshal(ToJSONValue(v, t)) writes it, for the Go types whose JSON
// does not depend on t (NULL, BOOLEAN, INTEGER, BIGINT, STRING, DATE,
// TIME, TIMESTAMP); ok is false for the others, which take the slow path.
func appendJSONScalar(dst []byte, v types.Value) (out []byte, ok bool) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), true
	case bool:
		return strconv.AppendBool(dst, x), true
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), true
	case int64:
		return strconv.AppendInt(dst, x, 10), true
	case string:
		return appendJSONString(dst, x), true
	case types.Date:
		return strconv.AppendInt(dst, int64(x), 10), true
	case types.Time:
		return strconv.AppendInt(dst, int64(x), 10), true
	case types.Timestamp:
		return strconv.AppendInt(dst, int64(x), 10), true
	}
	return dst, false
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted as json.Marshal quotes a string: HTML
// characters, control characters, U+2028 and U+2029 escaped, invalid
// UTF-8 as \ufffd.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= ' ' && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case c == '\u2028' || c == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

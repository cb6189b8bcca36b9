package expr

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"unicode/utf8"

	"github.com/streamlite/streamlite/sql/types"
)

// decodeText reads s in encoding enc (hex, base64, utf8, ascii); ok=false
// when s is not valid in it.
func decodeText(s, enc string) ([]byte, bool) {
	switch strings.ToLower(enc) {
	case "hex":
		b, err := hex.DecodeString(s)
		return b, err == nil
	case "base64":
		b, err := base64.StdEncoding.DecodeString(s)
		return b, err == nil
	case "utf8":
		return []byte(s), true
	case "ascii":
		for i := 0; i < len(s); i++ {
			if s[i] > 127 {
				return nil, false
			}
		}
		return []byte(s), true
	}
	return nil, false
}

// encodeText writes b in encoding enc; ok=false for an unknown encoding or
// bytes it cannot hold.
func encodeText(b []byte, enc string) (string, bool) {
	switch strings.ToLower(enc) {
	case "hex":
		return hex.EncodeToString(b), true
	case "base64":
		return base64.StdEncoding.EncodeToString(b), true
	case "utf8":
		return string(b), utf8.Valid(b)
	case "ascii":
		for _, c := range b {
			if c > 127 {
				return "", false
			}
		}
		return string(b), true
	}
	return "", false
}

// encode is ksqlDB's ENCODE(s, from, to), which re-encodes text between hex, utf8, ascii and
// base64 with Java's lenient codecs: hex may carry a 0x prefix (odd digit counts are padded
// with a leading 0) or be quoted as X'..'; base64 decoding skips characters outside the
// alphabet; text that is not ASCII (UTF-8) decodes to U+FFFD per bad byte; characters ASCII
// cannot hold encode as '?'. The same encoding on both sides, or an unknown one, fails.
func encode(s, from, to string) (types.Value, error) {
	if from == to {
		return nil, errBadArg
	}
	var b []byte
	switch from {
	case "hex":
		h := s
		switch {
		case strings.HasPrefix(h, "0x"):
			h = h[2:]
			if len(s)%2 != 0 {
				h = "0" + h
			}
		case len(h) >= 3 && (h[0] == 'x' || h[0] == 'X') && h[1] == '\'' && h[len(h)-1] == '\'':
			h = h[2 : len(h)-1]
		}
		var err error
		if b, err = hex.DecodeString(h); err != nil {
			return nil, err
		}
	case "base64":
		b = lenientBase64(s)
	case "utf8":
		b = []byte(s)
	case "ascii":
		for _, r := range s {
			if r > 127 {
				r = '?'
			}
			b = append(b, byte(r))
		}
	default:
		return nil, errBadArg
	}
	switch to {
	case "hex":
		return hex.EncodeToString(b), nil
	case "base64":
		return base64.StdEncoding.EncodeToString(b), nil
	case "utf8":
		var out strings.Builder
		for len(b) > 0 {
			r, size := utf8.DecodeRune(b)
			out.WriteRune(r) // utf8.RuneError (U+FFFD) for each bad byte
			b = b[size:]
		}
		return out.String(), nil
	case "ascii":
		var out strings.Builder
		for _, c := range b {
			if c > 127 {
				out.WriteRune(utf8.RuneError)
			} else {
				out.WriteByte(c)
			}
		}
		return out.String(), nil
	}
	return nil, errBadArg
}

// lenientBase64 decodes base64 as Apache Commons Codec does: characters outside the standard
// and URL-safe alphabets are skipped, decoding stops at padding, and a final lone character
// is dropped.
func lenientBase64(s string) []byte {
	var clean []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '=':
			i = len(s)
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			clean = append(clean, c)
		case c == '-':
			clean = append(clean, '+')
		case c == '_':
			clean = append(clean, '/')
		}
	}
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	b, _ := base64.RawStdEncoding.DecodeString(string(clean))
	return b
}

// encodeFuncs are ENCODE, TO_BYTES and FROM_BYTES: conversions between
// text encodings; text that is not valid in its encoding gives NULL.
func encodeFuncs(name string) []overload {
	switch name {
	case "ENCODE":
		return []overload{{params: []param{pStr, pStr, pStr}, ret: retT(types.TString()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			return encode(a[0].(string), strings.ToLower(a[1].(string)), strings.ToLower(a[2].(string)))
		}}}
	case "TO_BYTES":
		return []overload{{params: []param{pStr, pStr}, ret: retT(types.TBytes()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			b, ok := decodeText(a[0].(string), a[1].(string))
			if !ok {
				return nil, nil
			}
			return b, nil
		}}}
	case "FROM_BYTES":
		return []overload{{params: []param{pBytes, pStr}, ret: retT(types.TString()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			s, ok := encodeText(a[0].([]byte), a[1].(string))
			if !ok {
				return nil, nil
			}
			return s, nil
		}}}
	}
	return nil
}

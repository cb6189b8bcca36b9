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

// encodeFuncs are ENCODE, TO_BYTES and FROM_BYTES: conversions between
// text encodings; text that is not valid in its encoding gives NULL.
func encodeFuncs(name string) []overload {
	switch name {
	case "ENCODE":
		return []overload{{params: []param{pStr, pStr, pStr}, ret: retT(types.TString()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			b, ok := decodeText(a[0].(string), a[1].(string))
			if !ok {
				return nil, nil
			}
			s, ok := encodeText(b, a[2].(string))
			if !ok {
				return nil, nil
			}
			return s, nil
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

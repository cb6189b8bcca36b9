package expr

import (
	"crypto/rand"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/streamlite/streamlite/sql/types"
)

// masker replaces characters by class, as ksqlDB's MASK functions do: upper-case letters with
// 'X', lower-case with 'x', decimal digits with 'n' and anything else with '-' by default. A
// class whose mask is noMask is left as it is.
type masker struct{ upper, lower, digit, other rune }

// noMask marks a character class that is not masked (a NULL mask argument).
const noMask rune = -1

var defaultMasker = masker{'X', 'x', 'n', '-'}

func (m masker) mask(s string) string {
	var b strings.Builder
	for _, r := range s {
		var to rune
		switch {
		case unicode.IsUpper(r):
			to = m.upper
		case unicode.IsLower(r):
			to = m.lower
		case unicode.IsDigit(r):
			to = m.digit
		default:
			to = m.other
		}
		if to == noMask {
			to = r
		}
		b.WriteRune(to)
	}
	return b.String()
}

// maskChar reads a mask argument: NULL leaves the class unmasked; anything but one character
// fails.
func maskChar(v types.Value) (rune, error) {
	if v == nil {
		return noMask, nil
	}
	s := v.(string)
	if utf8.RuneCountInString(s) != 1 {
		return 0, fmt.Errorf("expr: invalid mask character %q", s)
	}
	r, _ := utf8.DecodeRuneInString(s)
	return r, nil
}

// maskFuncs are MASK, MASK_KEEP_LEFT, MASK_KEEP_RIGHT, MASK_LEFT and MASK_RIGHT, each with
// the default masks or four explicit ones (upper, lower, digit, other), and UUID.
func maskFuncs(name string) []overload {
	// part splits s (as runes) into the prefix and suffix where the masked part starts and
	// ends; n is the count argument.
	var part func(rs []rune, n int) (keepHead, masked, keepTail []rune)
	switch name {
	case "MASK":
		part = func(rs []rune, _ int) ([]rune, []rune, []rune) { return nil, rs, nil }
	case "MASK_KEEP_LEFT":
		part = func(rs []rune, n int) ([]rune, []rune, []rune) { n = min(n, len(rs)); return rs[:n], rs[n:], nil }
	case "MASK_KEEP_RIGHT":
		part = func(rs []rune, n int) ([]rune, []rune, []rune) {
			n = len(rs) - min(n, len(rs))
			return nil, rs[:n], rs[n:]
		}
	case "MASK_LEFT":
		part = func(rs []rune, n int) ([]rune, []rune, []rune) { n = min(n, len(rs)); return nil, rs[:n], rs[n:] }
	case "MASK_RIGHT":
		part = func(rs []rune, n int) ([]rune, []rune, []rune) {
			n = len(rs) - min(n, len(rs))
			return rs[:n], rs[n:], nil
		}
	case "UUID":
		return []overload{{ret: retT(types.TString()), call: func([]types.Value, []types.Type) (types.Value, error) {
			var u [16]byte
			if _, err := rand.Read(u[:]); err != nil {
				return nil, err
			}
			u[6] = u[6]&0x0f | 0x40 // version 4
			u[8] = u[8]&0x3f | 0x80 // IETF variant
			return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:]), nil
		}}}
	default:
		return nil
	}
	withCount := name != "MASK"
	apply := func(m masker, s string, n int32) (types.Value, error) {
		if n < 0 {
			return nil, errBadArg
		}
		head, masked, tail := part([]rune(s), int(n))
		return string(head) + m.mask(string(masked)) + string(tail), nil
	}
	simple := []param{pStr}
	custom := []param{pStr, pStr, pStr, pStr, pStr}
	if withCount {
		simple = []param{pStr, pInt}
		custom = []param{pStr, pInt, pStr, pStr, pStr, pStr}
	}
	return []overload{
		{params: simple, ret: retT(types.TString()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			n := int32(0)
			if withCount {
				n = a[1].(int32)
			}
			return apply(defaultMasker, a[0].(string), n)
		}},
		{params: custom, nulls: true, ret: retT(types.TString()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			n, masks := int32(0), a[1:]
			if withCount {
				if a[1] == nil {
					return nil, nil
				}
				n, masks = a[1].(int32), a[2:]
			}
			if a[0] == nil {
				return nil, nil
			}
			var m masker
			for i, dst := range []*rune{&m.upper, &m.lower, &m.digit, &m.other} {
				r, err := maskChar(masks[i])
				if err != nil {
					return nil, err
				}
				*dst = r
			}
			return apply(m, a[0].(string), n)
		}},
	}
}

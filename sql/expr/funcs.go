package expr

import (
	"bytes"
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/streamlite/streamlite/sql/types"
)

var errBadArg = errors.New("expr: bad function argument")

// num1 builds INTEGER/BIGINT/DECIMAL/DOUBLE overloads of a one-argument numeric function
// that keeps its argument type; f64 handles DOUBLE, dec (optional) DECIMAL.
func num1(i32 func(int32) int32, i64 func(int64) int64, dec func(types.Decimal) types.Decimal, f64 func(float64) float64) []overload {
	var ovs []overload
	if i32 != nil {
		ovs = append(ovs, overload{params: []param{pInt}, ret: retArg(0), call: func(a []types.Value, _ []types.Type) (types.Value, error) { return i32(a[0].(int32)), nil }})
	}
	if i64 != nil {
		ovs = append(ovs, overload{params: []param{pBigint}, ret: retArg(0), call: func(a []types.Value, _ []types.Type) (types.Value, error) { return i64(a[0].(int64)), nil }})
	}
	if dec != nil {
		ovs = append(ovs, overload{params: []param{pDec}, ret: retArg(0), call: func(a []types.Value, ts []types.Type) (types.Value, error) {
			return dec(a[0].(types.Decimal)).Fit(ts[0].Precision, ts[0].Scale)
		}})
	}
	return append(ovs, dbl1(f64)...)
}

// dbl1 is a DOUBLE → DOUBLE function (any number widens to DOUBLE).
func dbl1(f func(float64) float64) []overload {
	return []overload{{params: []param{pDouble}, ret: retT(types.TDouble()), call: func(a []types.Value, _ []types.Type) (types.Value, error) { return f(a[0].(float64)), nil }}}
}

func mathFuncs(name string) []overload {
	switch name {
	case "ABS":
		return num1(func(x int32) int32 {
			if x < 0 {
				return -x
			}
			return x
		}, func(x int64) int64 {
			if x < 0 {
				return -x
			}
			return x
		}, func(d types.Decimal) types.Decimal {
			if d.Sign() < 0 {
				return types.Decimal{Unscaled: new(big.Int).Neg(d.Unscaled), Scale: d.Scale}
			}
			return d
		}, math.Abs)
	case "CEIL":
		return num1(func(x int32) int32 { return x }, func(x int64) int64 { return x },
			func(d types.Decimal) types.Decimal { return decRound(d, 0, ceilDiv).Rescale(d.Scale) }, math.Ceil)
	case "FLOOR":
		return num1(func(x int32) int32 { return x }, func(x int64) int64 { return x },
			func(d types.Decimal) types.Decimal { return decRound(d, 0, floorDiv).Rescale(d.Scale) }, math.Floor)
	case "SIGN":
		sign := func(f float64) float64 {
			switch {
			case f > 0:
				return 1
			case f < 0:
				return -1
			}
			return f
		}
		return []overload{
			{params: []param{pInt}, ret: retT(types.TInt()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
				return int32(sign(float64(a[0].(int32)))), nil
			}},
			{params: []param{pBigint}, ret: retT(types.TInt()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
				return int32(sign(float64(a[0].(int64)))), nil
			}},
			{params: []param{pDec}, ret: retT(types.TInt()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
				return int32(a[0].(types.Decimal).Sign()), nil
			}},
			{params: []param{pDouble}, ret: retT(types.TInt()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
				return int32(sign(a[0].(float64))), nil
			}},
		}
	case "ROUND", "TRUNC":
		return roundFuncs(name)
	case "SQRT":
		return dbl1(math.Sqrt)
	case "CBRT":
		return dbl1(math.Cbrt)
	case "EXP":
		return dbl1(math.Exp)
	case "LN":
		return dbl1(math.Log)
	case "SIN":
		return dbl1(math.Sin)
	case "COS":
		return dbl1(math.Cos)
	case "TAN":
		return dbl1(math.Tan)
	case "ASIN":
		return dbl1(math.Asin)
	case "ACOS":
		return dbl1(math.Acos)
	case "ATAN":
		return dbl1(math.Atan)
	case "SINH":
		return dbl1(math.Sinh)
	case "COSH":
		return dbl1(math.Cosh)
	case "TANH":
		return dbl1(math.Tanh)
	case "COT":
		return dbl1(func(x float64) float64 { return 1 / math.Tan(x) })
	case "DEGREES":
		return dbl1(func(x float64) float64 { return x * 180 / math.Pi })
	case "RADIANS":
		return dbl1(func(x float64) float64 { return x * math.Pi / 180 })
	case "ATAN2":
		return []overload{{params: []param{pDouble, pDouble}, ret: retT(types.TDouble()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			return math.Atan2(a[0].(float64), a[1].(float64)), nil
		}}}
	case "LOG":
		// ksqlDB's LOG(x) is the natural logarithm; LOG(base, x) is NaN for a base <= 0 or 1.
		logBase := func(b, x float64) float64 {
			if b <= 0 || b == 1 {
				return math.NaN()
			}
			return math.Log(x) / math.Log(b)
		}
		var ovs []overload
		for _, p := range []param{pInt, pBigint, pDouble} {
			ovs = append(ovs, overload{params: []param{p}, ret: retT(types.TDouble()), call: func(a []types.Value, ts []types.Type) (types.Value, error) {
				return math.Log(toFloat(a[0])), nil
			}})
		}
		for _, p := range []param{pInt, pBigint, pDouble} {
			ovs = append(ovs, overload{params: []param{p, p}, ret: retT(types.TDouble()), call: func(a []types.Value, ts []types.Type) (types.Value, error) {
				return logBase(toFloat(a[0]), toFloat(a[1])), nil
			}})
		}
		return ovs
	case "POWER":
		return []overload{{params: []param{pDouble, pDouble}, ret: retT(types.TDouble()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			return math.Pow(a[0].(float64), a[1].(float64)), nil
		}}}
	case "PI":
		return []overload{{ret: retT(types.TDouble()), call: func([]types.Value, []types.Type) (types.Value, error) { return math.Pi, nil }}}
	case "RANDOM":
		return []overload{{ret: retT(types.TDouble()), call: func([]types.Value, []types.Type) (types.Value, error) { return rand.Float64(), nil }}}
	case "GREATEST", "LEAST":
		want := 1
		if name == "LEAST" {
			want = -1
		}
		pick := func(a []types.Value, _ []types.Type) (types.Value, error) {
			var best types.Value
			for _, v := range a {
				if v == nil {
					continue
				}
				if best == nil {
					best = v
					continue
				}
				if c, err := types.Compare(v, best); err == nil && c == want {
					best = v
				}
			}
			return best, nil
		}
		var ovs []overload
		for _, p := range []param{pInt, pBigint, pDec, pDouble, pStr, pDate, pTime, pTs, pBytes} {
			ovs = append(ovs, overload{params: []param{p, p}, variadic: true, nulls: true, call: pick, ret: commonRet})
		}
		return ovs
	}
	return nil
}

// commonRet is the common type of all (converted) argument types.
func commonRet(ts []types.Type) types.Type {
	var t types.Type
	for _, u := range ts {
		if t.Kind == types.KindInvalid {
			t = u
		} else if c, ok := types.CommonType(t, u); ok {
			t = c
		}
	}
	return t
}

func str1(f func(string) string) []overload {
	return []overload{{params: []param{pStr}, ret: retT(types.TString()), call: func(a []types.Value, _ []types.Type) (types.Value, error) { return f(a[0].(string)), nil }}}
}

// substring is ksqlDB's 1-based SUBSTRING on runes: a negative position counts from the end.
func substring(s string, pos int64, length int64, hasLen bool) string {
	rs := []rune(s)
	n := int64(len(rs))
	var start int64
	if pos >= 0 {
		start = min(n, max(0, pos-1))
	} else {
		start = max(0, n+pos)
	}
	end := n
	if hasLen {
		end = min(n, max(start, start+max(length, 0)))
		if length > n {
			end = n
		}
	}
	return string(rs[start:end])
}

// pad is LPAD/RPAD on runes: s padded with repeats of p to n runes, or cut to n. An empty p
// or a negative n gives NULL.
func pad(s string, n int64, p string, left bool) (types.Value, error) {
	if n < 0 || p == "" || n > 1<<20 {
		return nil, errBadArg
	}
	rs := []rune(s)
	if int64(len(rs)) >= n {
		return string(rs[:n]), nil
	}
	pr := []rune(p)
	fill := make([]rune, 0, n-int64(len(rs)))
	for i := 0; int64(len(fill)) < n-int64(len(rs)); i++ {
		fill = append(fill, pr[i%len(pr)])
	}
	if left {
		return string(fill) + s, nil
	}
	return s + string(fill), nil
}

// padBytes is pad on bytes.
func padBytes(b []byte, n int64, p []byte, left bool) (types.Value, error) {
	if n < 0 || len(p) == 0 || n > 1<<20 {
		return nil, errBadArg
	}
	if int64(len(b)) >= n {
		return append([]byte{}, b[:n]...), nil
	}
	fill := make([]byte, n-int64(len(b)))
	for i := range fill {
		fill[i] = p[i%len(p)]
	}
	if left {
		return append(fill, b...), nil
	}
	return append(append([]byte{}, b...), fill...), nil
}

// subBytes is SUBSTRING on bytes: 1-based, a negative position counts from the end.
func subBytes(b []byte, pos, length int32, hasLen bool) []byte {
	n := int64(len(b))
	var start int64
	if pos < 0 {
		start = max(n+int64(pos), 0)
	} else {
		start = max(min(int64(pos)-1, n), 0)
	}
	end := n
	if hasLen {
		end = max(min(start+int64(length), n), start)
	}
	return append([]byte{}, b[start:end]...)
}

// unescapeUTF16 reads CHR's string form: Java \uXXXX escapes (surrogate pairs combine);
// other text is kept.
func unescapeUTF16(s string) (string, bool) {
	if len(s) < 6 || !strings.HasPrefix(s, `\u`) {
		return "", false
	}
	var units []uint16
	var b strings.Builder
	flush := func() {
		b.WriteString(string(utf16.Decode(units)))
		units = units[:0]
	}
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], `\u`) && i+6 <= len(s) {
			if v, err := strconv.ParseUint(s[i+2:i+6], 16, 16); err == nil {
				units = append(units, uint16(v))
				i += 6
				continue
			}
		}
		flush()
		r, size := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r)
		i += size
	}
	flush()
	return b.String(), true
}

func stringFuncs(name string, opts Options) []overload {
	s := types.TString()
	switch name {
	case "LCASE":
		return str1(strings.ToLower)
	case "UCASE":
		return str1(strings.ToUpper)
	case "TRIM":
		return str1(func(x string) string { return strings.Trim(x, " \t\n\r\f\v\x00") })
	case "LTRIM":
		return str1(func(x string) string { return strings.TrimLeft(x, " \t\n\r\f\v\x00") })
	case "RTRIM":
		return str1(func(x string) string { return strings.TrimRight(x, " \t\n\r\f\v\x00") })
	case "INITCAP":
		return str1(func(x string) string {
			var b strings.Builder
			start := true
			for _, r := range x {
				if unicode.IsSpace(r) {
					start = true
					b.WriteRune(r)
					continue
				}
				if start {
					b.WriteRune(unicode.ToUpper(r))
				} else {
					b.WriteRune(unicode.ToLower(r))
				}
				start = false
			}
			return b.String()
		})
	case "LEN":
		return []overload{
			{params: []param{pStr}, ret: retT(types.TInt()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
				return int32(utf8.RuneCountInString(a[0].(string))), nil
			}},
			{params: []param{pBytes}, ret: retT(types.TInt()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
				return int32(len(a[0].([]byte))), nil
			}},
		}
	case "CONCAT":
		return []overload{
			{params: []param{pStr}, variadic: true, nulls: true, ret: retT(s), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
				var b strings.Builder
				for _, v := range a {
					if v != nil {
						b.WriteString(v.(string))
					}
				}
				return b.String(), nil
			}},
			{params: []param{pBytes}, variadic: true, nulls: true, ret: retT(types.TBytes()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
				var b []byte
				for _, v := range a {
					if v != nil {
						b = append(b, v.([]byte)...)
					}
				}
				return b, nil
			}},
		}
	case "CONCAT_WS":
		// The separator comes first; a NULL separator gives NULL, NULL values are skipped.
		return []overload{
			{params: []param{pStr, pStr}, variadic: true, nulls: true, ret: retT(s), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
				if a[0] == nil {
					return nil, nil
				}
				var parts []string
				for _, v := range a[1:] {
					if v != nil {
						parts = append(parts, v.(string))
					}
				}
				return strings.Join(parts, a[0].(string)), nil
			}},
			{params: []param{pBytes, pBytes}, variadic: true, nulls: true, ret: retT(types.TBytes()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
				if a[0] == nil {
					return nil, nil
				}
				var parts [][]byte
				for _, v := range a[1:] {
					if v != nil {
						parts = append(parts, v.([]byte))
					}
				}
				return append([]byte{}, bytes.Join(parts, a[0].([]byte))...), nil
			}},
		}
	case "SUBSTRING":
		_ = opts // ksql.functions.substring.legacy.args is not supported: modern semantics only
		return []overload{
			{params: []param{pStr, pInt}, ret: retT(s), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
				return substring(a[0].(string), int64(a[1].(int32)), 0, false), nil
			}},
			{params: []param{pStr, pInt, pInt}, ret: retT(s), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
				return substring(a[0].(string), int64(a[1].(int32)), int64(a[2].(int32)), true), nil
			}},
			{params: []param{pBytes, pInt}, ret: retT(types.TBytes()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
				return subBytes(a[0].([]byte), a[1].(int32), 0, false), nil
			}},
			{params: []param{pBytes, pInt, pInt}, ret: retT(types.TBytes()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
				return subBytes(a[0].([]byte), a[1].(int32), a[2].(int32), true), nil
			}},
		}
	case "INSTR":
		instr := func(str, sub string, pos, occ int64) int32 {
			rs, sr := []rune(str), []rune(sub)
			n := int64(len(rs))
			if occ <= 0 || pos == 0 {
				return 0
			}
			match := func(i int64) bool {
				if i < 0 || i+int64(len(sr)) > n {
					return false
				}
				return string(rs[i:i+int64(len(sr))]) == sub
			}
			if pos > 0 {
				for i := pos - 1; i <= n; i++ {
					if match(i) {
						if occ--; occ == 0 {
							return int32(i + 1)
						}
					}
				}
				return 0
			}
			for i := n + pos; i >= 0; i-- {
				if match(i) {
					if occ--; occ == 0 {
						return int32(i + 1)
					}
				}
			}
			return 0
		}
		return []overload{
			{params: []param{pStr, pStr}, ret: retT(types.TInt()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
				return instr(a[0].(string), a[1].(string), 1, 1), nil
			}},
			{params: []param{pStr, pStr, pInt}, ret: retT(types.TInt()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
				return instr(a[0].(string), a[1].(string), int64(a[2].(int32)), 1), nil
			}},
			{params: []param{pStr, pStr, pInt, pInt}, ret: retT(types.TInt()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
				return instr(a[0].(string), a[1].(string), int64(a[2].(int32)), int64(a[3].(int32))), nil
			}},
		}
	case "REPLACE":
		return []overload{{params: []param{pStr, pStr, pStr}, ret: retT(s), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			return strings.ReplaceAll(a[0].(string), a[1].(string), a[2].(string)), nil
		}}}
	case "LPAD", "RPAD":
		left := name == "LPAD"
		return []overload{
			{params: []param{pStr, pInt, pStr}, ret: retT(s), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
				return pad(a[0].(string), int64(a[1].(int32)), a[2].(string), left)
			}},
			{params: []param{pBytes, pInt, pBytes}, ret: retT(types.TBytes()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
				return padBytes(a[0].([]byte), int64(a[1].(int32)), a[2].([]byte), left)
			}},
		}
	case "SPLIT":
		// The delimiter is literal text; an empty one splits every character (byte).
		return []overload{
			{params: []param{pStr, pStr}, ret: retT(types.ArrayOf(s)), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
				str, sep := a[0].(string), a[1].(string)
				var parts []string
				switch {
				case str == "":
					parts = []string{""}
				case sep == "":
					for _, r := range str {
						parts = append(parts, string(r))
					}
				default:
					parts = strings.Split(str, sep)
				}
				out := make([]types.Value, len(parts))
				for i, p := range parts {
					out[i] = p
				}
				return out, nil
			}},
			{params: []param{pBytes, pBytes}, ret: retT(types.ArrayOf(types.TBytes())), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
				b, sep := a[0].([]byte), a[1].([]byte)
				var parts [][]byte
				switch {
				case len(b) == 0:
					parts = [][]byte{nil}
				case len(sep) == 0:
					for i := range b {
						parts = append(parts, b[i:i+1])
					}
				default:
					parts = bytes.Split(b, sep)
				}
				out := make([]types.Value, len(parts))
				for i, p := range parts {
					out[i] = append([]byte{}, p...)
				}
				return out, nil
			}},
		}
	case "CHR":
		// CHR(code point) or CHR('\\u004b').
		return []overload{
			{params: []param{pInt}, ret: retT(s), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
				r := rune(a[0].(int32))
				if !utf8.ValidRune(r) {
					return nil, errBadArg
				}
				return string(r), nil
			}},
			{params: []param{pStr}, ret: retT(s), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
				out, ok := unescapeUTF16(a[0].(string))
				if !ok {
					return nil, nil
				}
				return out, nil
			}},
		}
	case "ELT":
		return []overload{{params: []param{pInt, pStr}, variadic: true, nulls: true, ret: retT(s), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			if a[0] == nil {
				return nil, nil
			}
			n := int(a[0].(int32))
			if n < 1 || n >= len(a) {
				return nil, nil
			}
			return a[n], nil
		}}}
	case "FIELD":
		return []overload{{params: []param{pStr, pStr}, variadic: true, nulls: true, ret: retT(types.TInt()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			if a[0] == nil {
				return int32(0), nil
			}
			for i, v := range a[1:] {
				if v != nil && v.(string) == a[0].(string) {
					return int32(i + 1), nil
				}
			}
			return int32(0), nil
		}}}
	case "REGEXP_EXTRACT":
		ex := func(str, pat string, group int64) (types.Value, error) {
			re, err := regexp.Compile(pat)
			if err != nil {
				return nil, err
			}
			m := re.FindStringSubmatch(str)
			if m == nil || group < 0 || group >= int64(len(m)) {
				return nil, nil
			}
			return m[group], nil
		}
		return []overload{
			{params: []param{pStr, pStr}, ret: retT(s), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
				return ex(a[1].(string), a[0].(string), 0)
			}},
			{params: []param{pStr, pStr, pInt}, ret: retT(s), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
				return ex(a[1].(string), a[0].(string), int64(a[2].(int32)))
			}},
		}
	case "REGEXP_EXTRACT_ALL":
		ex := func(str, pat string, group int64) (types.Value, error) {
			re, err := regexp.Compile(pat)
			if err != nil {
				return nil, err
			}
			out := []types.Value{}
			for _, m := range re.FindAllStringSubmatch(str, -1) {
				if group < 0 || group >= int64(len(m)) {
					return nil, nil
				}
				out = append(out, m[group])
			}
			return out, nil
		}
		return []overload{
			{params: []param{pStr, pStr}, ret: retT(types.ArrayOf(s)), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
				return ex(a[1].(string), a[0].(string), 0)
			}},
			{params: []param{pStr, pStr, pInt}, ret: retT(types.ArrayOf(s)), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
				return ex(a[1].(string), a[0].(string), int64(a[2].(int32)))
			}},
		}
	case "REGEXP_REPLACE":
		return []overload{{params: []param{pStr, pStr, pStr}, ret: retT(s), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			re, err := regexp.Compile(a[1].(string))
			if err != nil {
				return nil, err
			}
			return re.ReplaceAllString(a[0].(string), javaReplacement(a[2].(string))), nil
		}}}
	case "REGEXP_SPLIT_TO_ARRAY":
		return []overload{{params: []param{pStr, pStr}, ret: retT(types.ArrayOf(s)), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			re, err := regexp.Compile(a[1].(string))
			if err != nil {
				return nil, err
			}
			parts := re.Split(a[0].(string), -1)
			out := make([]types.Value, len(parts))
			for i, p := range parts {
				out[i] = p
			}
			return out, nil
		}}}
	case "URL_ENCODE_PARAM":
		return str1(url.QueryEscape)
	case "URL_DECODE_PARAM":
		return []overload{{params: []param{pStr}, ret: retT(s), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			return url.QueryUnescape(a[0].(string))
		}}}
	case "URL_EXTRACT_PROTOCOL", "URL_EXTRACT_HOST", "URL_EXTRACT_PATH", "URL_EXTRACT_QUERY", "URL_EXTRACT_FRAGMENT":
		return []overload{{params: []param{pStr}, ret: retT(s), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			u, err := url.Parse(a[0].(string))
			if err != nil {
				return nil, err
			}
			var v string
			switch name {
			case "URL_EXTRACT_PROTOCOL":
				v = u.Scheme
			case "URL_EXTRACT_HOST":
				v = u.Hostname()
			case "URL_EXTRACT_PATH":
				v = u.EscapedPath()
			case "URL_EXTRACT_QUERY":
				v = u.RawQuery
			default:
				v = u.Fragment
			}
			if v == "" {
				return nil, nil
			}
			return v, nil
		}}}
	case "URL_EXTRACT_PORT":
		return []overload{{params: []param{pStr}, ret: retT(types.TInt()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			u, err := url.Parse(a[0].(string))
			if err != nil || u.Port() == "" {
				return nil, err
			}
			p, err := types.Cast(u.Port(), types.TString(), types.TInt())
			return p, err
		}}}
	case "URL_EXTRACT_PARAMETER":
		return []overload{{params: []param{pStr, pStr}, ret: retT(s), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			u, err := url.Parse(a[0].(string))
			if err != nil {
				return nil, err
			}
			q, err := url.ParseQuery(u.RawQuery)
			if err != nil {
				return nil, err
			}
			vs, ok := q[a[1].(string)]
			if !ok || len(vs) == 0 {
				return nil, nil
			}
			return vs[0], nil
		}}}
	}
	return nil
}

// javaReplacement turns a Java replacement string ($1, \$) into Go's (${1}, $$).
func javaReplacement(r string) string {
	var b strings.Builder
	for i := 0; i < len(r); i++ {
		switch c := r[i]; {
		case c == '\\' && i+1 < len(r):
			i++
			if r[i] == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(r[i])
			}
		case c == '$':
			j := i + 1
			for j < len(r) && r[j] >= '0' && r[j] <= '9' {
				j++
			}
			if j == i+1 {
				b.WriteString("$$")
			} else {
				b.WriteString("${" + r[i+1:j] + "}")
				i = j - 1
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func nullFuncs(name string) []overload {
	switch name {
	case "IFNULL", "COALESCE":
		// The first non-NULL argument. IFNULL takes two; COALESCE one or more. All share
		// one type (T, T...).
		first := func(a []types.Value, _ []types.Type) (types.Value, error) {
			for _, v := range a {
				if v != nil {
					return v, nil
				}
			}
			return nil, nil
		}
		if name == "IFNULL" {
			return []overload{{params: []param{pAny, pAny}, same: true, nulls: true, ret: commonRet, call: first}}
		}
		return []overload{{params: []param{pAny, pAny}, variadic: true, same: true, nulls: true, ret: commonRet, call: first}}
	case "AS_VALUE":
		// AS_VALUE(key column) copies a key column into the value; as an
		// expression it is the identity.
		return []overload{{params: []param{pAny}, nulls: true, ret: retArg(0), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			return a[0], nil
		}}}
	case "NULLIF":
		return []overload{{params: []param{pAny, pAny}, same: true, nulls: true, ret: retArg(0), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			if a[0] != nil && a[1] != nil && types.Equal(a[0], a[1]) {
				return nil, nil
			}
			return a[0], nil
		}}}
	case "ARRAY_LENGTH":
		return []overload{{params: []param{pArray}, ret: retT(types.TInt()), call: func(a []types.Value, _ []types.Type) (types.Value, error) {
			return int32(len(a[0].([]types.Value))), nil
		}}}
	}
	return nil
}

// builtin returns the overloads of the scalar function name (upper case), nil if unknown.
func builtin(name string, opts Options) []overload {
	if ovs := mathFuncs(name); ovs != nil {
		return ovs
	}
	if ovs := stringFuncs(name, opts); ovs != nil {
		return ovs
	}
	if ovs := nullFuncs(name); ovs != nil {
		return ovs
	}
	if ovs := timeFormatFuncs(name); ovs != nil {
		return ovs
	}
	if ovs := encodeFuncs(name); ovs != nil {
		return ovs
	}
	if ovs := geoFuncs(name); ovs != nil {
		return ovs
	}
	if ovs := maskFuncs(name); ovs != nil {
		return ovs
	}
	return timeFuncs(name)
}

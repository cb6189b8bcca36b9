package consume

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"
)

// formatter renders a record into a byte slice.
type formatter interface {
	// appendRecord appends r's rendering to b and returns the result.
	appendRecord(b []byte, r *kgo.Record) ([]byte, error)
}

// Tokens of --format, after kcat's -f:
//
//	%t topic   %k key   %v value   %h headers as k=v,k=v   %p partition
//	%o offset  %T timestamp (ms)   %K key length   %S value length   %% percent
//
// and the escapes \n \t \r \\. A null key or value prints as nothing and its
// length as -1, as kcat does.
type textFormat struct {
	segs []segment
}

// segment is a literal run of bytes or, when lit is nil, a token.
type segment struct {
	lit   []byte
	token byte
}

// parseFormat compiles a --format string.
func parseFormat(s string) (*textFormat, error) {
	f := &textFormat{}
	var lit []byte
	flush := func() {
		if len(lit) > 0 {
			f.segs = append(f.segs, segment{lit: lit})
			lit = nil
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+1 >= len(s) {
				return nil, fmt.Errorf("format %q: trailing backslash", s)
			}
			i++
			switch s[i] {
			case 'n':
				lit = append(lit, '\n')
			case 't':
				lit = append(lit, '\t')
			case 'r':
				lit = append(lit, '\r')
			case '\\':
				lit = append(lit, '\\')
			default:
				return nil, fmt.Errorf("format %q: unknown escape \\%c", s, s[i])
			}
		case '%':
			if i+1 >= len(s) {
				return nil, fmt.Errorf("format %q: trailing %%", s)
			}
			i++
			switch t := s[i]; t {
			case '%':
				lit = append(lit, '%')
			case 't', 'k', 'v', 'h', 'p', 'o', 'T', 'K', 'S':
				flush()
				f.segs = append(f.segs, segment{token: t})
			default:
				return nil, fmt.Errorf("format %q: unknown token %%%c (want %%t %%k %%v %%h %%p %%o %%T %%K %%S)", s, t)
			}
		default:
			lit = append(lit, c)
		}
	}
	flush()
	return f, nil
}

func (f *textFormat) appendRecord(b []byte, r *kgo.Record) ([]byte, error) {
	for _, s := range f.segs {
		if s.lit != nil {
			b = append(b, s.lit...)
			continue
		}
		switch s.token {
		case 't':
			b = append(b, r.Topic...)
		case 'k':
			b = append(b, r.Key...)
		case 'v':
			b = append(b, r.Value...)
		case 'h':
			for i, h := range r.Headers {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, h.Key...)
				b = append(b, '=')
				b = append(b, h.Value...)
			}
		case 'p':
			b = strconv.AppendInt(b, int64(r.Partition), 10)
		case 'o':
			b = strconv.AppendInt(b, r.Offset, 10)
		case 'T':
			b = strconv.AppendInt(b, r.Timestamp.UnixMilli(), 10)
		case 'K':
			b = strconv.AppendInt(b, nullableLen(r.Key), 10)
		case 'S':
			b = strconv.AppendInt(b, nullableLen(r.Value), 10)
		}
	}
	return b, nil
}

func nullableLen(b []byte) int64 {
	if b == nil {
		return -1
	}
	return int64(len(b))
}

// jsonFormat is the default output: one indented JSON object per record.
type jsonFormat struct {
	buf bytes.Buffer
	enc *json.Encoder
}

func newJSONFormat() *jsonFormat {
	f := &jsonFormat{}
	f.enc = json.NewEncoder(&f.buf)
	f.enc.SetIndent("", "  ")
	f.enc.SetEscapeHTML(false)
	return f
}

type jsonRecord struct {
	Topic     string       `json:"topic"`
	Partition int32        `json:"partition"`
	Offset    int64        `json:"offset"`
	Timestamp int64        `json:"timestamp"`
	Key       *string      `json:"key"`
	Value     any          `json:"value"` // nil, json.RawMessage or string
	Headers   []jsonHeader `json:"headers"`
}

type jsonHeader struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// appendRecord renders r as an indented JSON object and a newline. The key
// is a string (null when absent); the value is embedded as JSON when it is
// valid JSON and is a string otherwise. Bytes that are not UTF-8 become
// U+FFFD.
func (f *jsonFormat) appendRecord(b []byte, r *kgo.Record) ([]byte, error) {
	jr := jsonRecord{
		Topic:     r.Topic,
		Partition: r.Partition,
		Offset:    r.Offset,
		Timestamp: r.Timestamp.UnixMilli(),
		Headers:   make([]jsonHeader, 0, len(r.Headers)),
	}
	if r.Key != nil {
		k := string(r.Key)
		jr.Key = &k
	}
	switch {
	case r.Value == nil:
	case json.Valid(r.Value):
		jr.Value = json.RawMessage(r.Value)
	default:
		jr.Value = string(r.Value)
	}
	for _, h := range r.Headers {
		jr.Headers = append(jr.Headers, jsonHeader{Key: h.Key, Value: string(h.Value)})
	}
	f.buf.Reset()
	if err := f.enc.Encode(jr); err != nil {
		return b, err
	}
	return append(b, f.buf.Bytes()...), nil
}

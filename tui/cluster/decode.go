package cluster

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Formats a Record's KeyFormat and ValueFormat take.
const (
	FormatJSON       = "json"
	FormatAvro       = "avro"
	FormatProtobuf   = "protobuf"
	FormatJSONSchema = "json-schema"
	FormatText       = "text"
	FormatBinary     = "binary"
	FormatNull       = "null"
)

// Decoding limits.
const (
	// hexLimit is how many bytes of a binary value are shown as hex.
	hexLimit = 4 << 10
	// failureTTL is how long a failed schema lookup is remembered, so that a dead registry
	// costs one request per schema id per failureTTL, not one per record.
	failureTTL = 10 * time.Second
	// lookupTimeout bounds one registry lookup within a Poll.
	lookupTimeout = 5 * time.Second
	// maxRefDepth bounds schema reference chains.
	maxRefDepth = 16
)

// decoder turns record bytes into text, looking schemas up in the registry by id. It is
// shared by a Client and its Readers and safe for concurrent use.
type decoder struct {
	sr  *sr.Client // nil: no registry
	now func() time.Time

	mu    sync.Mutex
	cache map[int]*compiled // by schema id; guarded by mu
}

// compiled is a registry schema ready to decode with, or the error that got in the way.
type compiled struct {
	format string // FormatAvro, FormatProtobuf, FormatJSONSchema
	avro   avro.Schema
	proto  protoreflect.FileDescriptor
	err    error
	expiry time.Time // for a failure: when to ask again
}

func newDecoder(s *sr.Client) *decoder {
	return &decoder{sr: s, now: time.Now, cache: make(map[int]*compiled)}
}

// decodeRecord fills r's KeyText/ValueText, formats, schema ids and DecodeErr from r.Key
// and r.Value.
func (d *decoder) decodeRecord(ctx context.Context, r *Record) {
	var kerr, verr error
	r.KeyText, r.KeyFormat, r.KeySchemaID, kerr = d.decode(ctx, r.Key)
	r.ValueText, r.ValueFormat, r.ValueSchemaID, verr = d.decode(ctx, r.Value)
	switch {
	case kerr != nil && verr != nil:
		r.DecodeErr = "key: " + kerr.Error() + "; value: " + verr.Error()
	case kerr != nil:
		r.DecodeErr = "key: " + kerr.Error()
	case verr != nil:
		r.DecodeErr = verr.Error()
	}
}

// decode renders b. A value in the Confluent wire format (magic byte 0, a 4-byte schema id
// > 0) is decoded with its schema; when that fails the error is returned and b is shown as
// hex. Otherwise: JSON is pretty-printed, printable UTF-8 is shown as is, the rest as hex.
func (d *decoder) decode(ctx context.Context, b []byte) (text, format string, id int, err error) {
	if b == nil {
		return "null", FormatNull, 0, nil
	}
	if id, ok := wireID(b); ok {
		text, format, err := d.decodeWire(ctx, id, b[5:])
		if err != nil {
			return hexDump(b), FormatBinary, id, fmt.Errorf("schema id %d: %w", id, err)
		}
		return text, format, id, nil
	}
	text, format = plain(b)
	return text, format, 0, nil
}

// wireID returns the schema id of a Confluent wire-format payload.
func wireID(b []byte) (int, bool) {
	if len(b) < 5 || b[0] != 0 {
		return 0, false
	}
	id := int(binary.BigEndian.Uint32(b[1:5]))
	return id, id > 0 && id <= 1<<31-1
}

// plain renders bytes that carry no schema id.
func plain(b []byte) (text, format string) {
	if mayBeJSON(b) {
		var buf bytes.Buffer
		if json.Indent(&buf, b, "", "  ") == nil { // Indent validates as it goes
			return buf.String(), FormatJSON
		}
	}
	if printable(b) {
		return string(b), FormatText
	}
	return hexDump(b), FormatBinary
}

// mayBeJSON reports whether b's first non-space byte can start a JSON value.
func mayBeJSON(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '{', '[', '"', '-', 't', 'f', 'n', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			return true
		}
		return false
	}
	return false
}

// printable reports whether b is valid UTF-8 made of printable runes, tabs and newlines.
func printable(b []byte) bool {
	for len(b) > 0 {
		c := b[0]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f {
				return false
			}
			b = b[1:]
			continue
		}
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError || !unicode.IsPrint(r) && !unicode.IsSpace(r) {
			return false
		}
		b = b[n:]
	}
	return true
}

// hexDump shows b as hex bytes, 16 to a line grouped by 8 ("00 01 ... 07  08 ..."), cut at
// hexLimit bytes with a "… N more bytes" line.
func hexDump(b []byte) string {
	const digits = "0123456789abcdef"
	shown := b[:min(len(b), hexLimit)]
	var sb strings.Builder
	sb.Grow(len(shown)*3 + len(shown)/16 + 32)
	for i, c := range shown {
		if i > 0 {
			switch {
			case i%16 == 0:
				sb.WriteByte('\n')
			case i%8 == 0:
				sb.WriteString("  ")
			default:
				sb.WriteByte(' ')
			}
		}
		sb.WriteByte(digits[c>>4])
		sb.WriteByte(digits[c&0xf])
	}
	if rest := len(b) - len(shown); rest > 0 {
		fmt.Fprintf(&sb, "\n… %d more bytes", rest)
	}
	return sb.String()
}

// decodeWire decodes payload (after the magic byte and id) with schema id.
func (d *decoder) decodeWire(ctx context.Context, id int, payload []byte) (string, string, error) {
	if d.sr == nil {
		return "", "", errors.New("no schema registry configured")
	}
	s, err := d.schema(ctx, id)
	if err != nil {
		return "", "", err
	}
	switch s.format {
	case FormatAvro:
		text, err := avroText(s.avro, payload)
		return text, FormatAvro, err
	case FormatJSONSchema:
		if !json.Valid(payload) {
			return "", "", errors.New("JSON Schema payload is not JSON")
		}
		var buf bytes.Buffer
		_ = json.Indent(&buf, payload, "", "  ") // valid above
		return buf.String(), FormatJSONSchema, nil
	case FormatProtobuf:
		text, err := protoText(s.proto, payload)
		return text, FormatProtobuf, err
	}
	return "", "", fmt.Errorf("unknown schema format %q", s.format)
}

// schema returns the compiled schema for id, from the cache or the registry. Failures are
// cached for failureTTL.
func (d *decoder) schema(ctx context.Context, id int) (*compiled, error) {
	d.mu.Lock()
	c, ok := d.cache[id]
	d.mu.Unlock()
	if ok && (c.err == nil || d.now().Before(c.expiry)) {
		return c, c.err
	}
	lctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	c = d.compile(lctx, id)
	cancel()
	if c.err != nil {
		if ctx.Err() != nil {
			// The caller gave up; that says nothing about the registry.
			return nil, c.err
		}
		c.expiry = d.now().Add(failureTTL)
	}
	d.mu.Lock()
	d.cache[id] = c
	d.mu.Unlock()
	return c, c.err
}

// compile fetches schema id (and its references) and prepares it.
func (d *decoder) compile(ctx context.Context, id int) *compiled {
	s, err := d.sr.SchemaByID(ctx, id)
	if err != nil {
		return &compiled{err: fmt.Errorf("looking up the schema: %w", err)}
	}
	switch s.Type {
	case sr.TypeAvro:
		as, err := d.compileAvro(ctx, s)
		if err != nil {
			return &compiled{err: err}
		}
		return &compiled{format: FormatAvro, avro: as}
	case sr.TypeJSON:
		return &compiled{format: FormatJSONSchema}
	case sr.TypeProtobuf:
		fd, err := d.compileProto(ctx, s)
		if err != nil {
			return &compiled{err: err}
		}
		return &compiled{format: FormatProtobuf, proto: fd}
	}
	return &compiled{err: fmt.Errorf("unsupported schema type %v", s.Type)}
}

// references fetches the schemas s references, depth first, calling fn for each (a
// reference's own references come before it).
func (d *decoder) references(ctx context.Context, s sr.Schema, depth int, seen map[string]bool, fn func(ref sr.SchemaReference, s sr.Schema) error) error {
	if depth > maxRefDepth {
		return errors.New("schema references nest too deep")
	}
	for _, ref := range s.References {
		key := fmt.Sprintf("%s/%d", ref.Subject, ref.Version)
		if seen[key] {
			continue
		}
		seen[key] = true
		rs, err := d.sr.SchemaByVersion(ctx, ref.Subject, ref.Version)
		if err != nil {
			return fmt.Errorf("looking up reference %s (subject %s version %d): %w", ref.Name, ref.Subject, ref.Version, err)
		}
		if err := d.references(ctx, rs.Schema, depth+1, seen, fn); err != nil {
			return err
		}
		if err := fn(ref, rs.Schema); err != nil {
			return err
		}
	}
	return nil
}

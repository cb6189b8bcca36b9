package cluster

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/bufbuild/protocompile"
	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// mainProto is the file name the schema being compiled gets; references keep their names.
const mainProto = "streamlite-tui-schema.proto"

// compileProto compiles a Protobuf schema and the schemas it references (by their
// reference names, which are the import paths), with the well-known types available.
func (d *decoder) compileProto(ctx context.Context, s sr.Schema) (protoreflect.FileDescriptor, error) {
	files := map[string]string{mainProto: s.Schema}
	err := d.references(ctx, s, 0, map[string]bool{}, func(ref sr.SchemaReference, rs sr.Schema) error {
		files[ref.Name] = rs.Schema
		return nil
	})
	if err != nil {
		return nil, err
	}
	comp := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
			Accessor: protocompile.SourceAccessorFromMap(files),
		}),
	}
	fds, err := comp.Compile(ctx, mainProto)
	if err != nil {
		return nil, fmt.Errorf("compiling the Protobuf schema: %w", err)
	}
	return fds[0], nil
}

// protoText decodes a Confluent Protobuf payload (message indexes, then the message) with
// the file fd to indented JSON (protojson, original field names).
func protoText(fd protoreflect.FileDescriptor, payload []byte) (string, error) {
	idx, rest, err := messageIndexes(payload)
	if err != nil {
		return "", err
	}
	md, err := messageByIndex(fd, idx)
	if err != nil {
		return "", err
	}
	msg := dynamicpb.NewMessage(md)
	if err := proto.Unmarshal(rest, msg); err != nil {
		return "", fmt.Errorf("decoding Protobuf %s: %w", md.FullName(), err)
	}
	compact, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(msg)
	if err != nil {
		return "", fmt.Errorf("rendering Protobuf %s as JSON: %w", md.FullName(), err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, compact, "", "  "); err != nil {
		return "", fmt.Errorf("rendering Protobuf %s as JSON: %w", md.FullName(), err)
	}
	return out.String(), nil
}

// messageIndexes reads the Confluent message-index list: a zigzag varint count and that
// many zigzag varints; a lone 0 means [0], the first message.
func messageIndexes(b []byte) ([]int, []byte, error) {
	n, k := binary.Varint(b)
	if k <= 0 {
		return nil, nil, errors.New("decoding Protobuf: bad message index count")
	}
	b = b[k:]
	if n == 0 {
		return []int{0}, b, nil
	}
	if n < 0 || n > 64 {
		return nil, nil, fmt.Errorf("decoding Protobuf: message index count %d", n)
	}
	idx := make([]int, n)
	for i := range idx {
		v, k := binary.Varint(b)
		if k <= 0 || v < 0 {
			return nil, nil, errors.New("decoding Protobuf: bad message index")
		}
		idx[i] = int(v)
		b = b[k:]
	}
	return idx, b, nil
}

// messageByIndex walks fd's messages by the index path.
func messageByIndex(fd protoreflect.FileDescriptor, idx []int) (protoreflect.MessageDescriptor, error) {
	msgs := fd.Messages()
	var md protoreflect.MessageDescriptor
	for _, i := range idx {
		if i >= msgs.Len() {
			return nil, fmt.Errorf("decoding Protobuf: message index %v not in the schema", idx)
		}
		md = msgs.Get(i)
		msgs = md.Messages()
	}
	if md == nil {
		return nil, errors.New("decoding Protobuf: the schema has no message")
	}
	return md, nil
}

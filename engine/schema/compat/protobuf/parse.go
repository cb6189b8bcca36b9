package protobuf

import (
	"context"
	"errors"
	"fmt"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// SchemaFileName is the file name a schema's own text compiles under; parse errors name it
// ("schema.proto:3:5: ..."). A dependency of the same name is an error.
const SchemaFileName = "schema.proto"

// Dependency is one file a schema imports, directly or through another dependency: the
// registry resolves the schema's references (and theirs, transitively) into these.
type Dependency struct {
	// Name is the import path, as the importing file writes it ("google.proto").
	Name string
	// Text is the file's .proto source. It may be empty for the files streamlite provides
	// itself (google/protobuf/*.proto, confluent/meta.proto, confluent/type/decimal.proto);
	// a non-empty Text for one of those paths replaces streamlite's copy.
	Text string
	// Subject and Version identify the reference the file was resolved from; Subject is
	// empty for a file with no reference. Two message types from imported files are only
	// compared field by field when their references differ.
	Subject string
	Version int
}

// Schema is a parsed, linked Protobuf schema: the file and the files it imports.
type Schema struct {
	file protoreflect.FileDescriptor
	// refs maps a file path to the reference it came from; the schema's own file maps to the
	// zero ref with version -1, imports without a reference are absent.
	refs map[string]ref
	// wire holds Validate's lookup tables, built on first use (plan.go).
	wire wireTables
}

// ref identifies where a file came from, to decide whether two types need comparing.
type ref struct {
	subject string
	version int
}

// ErrParse marks every error Parse returns for bad schema text or dependencies (the registry
// answers them 42201).
var ErrParse = errors.New("invalid protobuf schema")

// Parse compiles text, a .proto file, with the files it imports, and returns the schema.
// Errors wrap ErrParse and carry file:line:col positions from the compiler.
func Parse(text string, deps []Dependency) (*Schema, error) {
	files := builtinFiles()
	refs := map[string]ref{SchemaFileName: {version: -1}}
	for i, d := range deps {
		switch {
		case d.Name == "":
			return nil, fmt.Errorf("%w: dependency %d has no name", ErrParse, i)
		case d.Name == SchemaFileName:
			return nil, fmt.Errorf("%w: dependency name %q is reserved for the schema itself", ErrParse, d.Name)
		}
		if d.Text != "" {
			files[d.Name] = d.Text
		}
		if d.Subject != "" {
			refs[d.Name] = ref{subject: d.Subject, version: d.Version}
		}
	}
	files[SchemaFileName] = text
	c := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
			Accessor: protocompile.SourceAccessorFromMap(files),
		}),
		MaxParallelism: 1,
	}
	out, err := c.Compile(context.Background(), SchemaFileName)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrParse, err)
	}
	if len(out) != 1 {
		return nil, fmt.Errorf("%w: compiler returned %d files", ErrParse, len(out))
	}
	return &Schema{file: out[0], refs: refs}, nil
}

// Package returns the schema's package name ("" when it declares none).
func (s *Schema) Package() string {
	if s == nil || s.file == nil {
		return ""
	}
	return string(s.file.Package())
}

// File returns the schema's linked file descriptor, for encoding and decoding with
// google.golang.org/protobuf (dynamicpb).
func (s *Schema) File() protoreflect.FileDescriptor {
	if s == nil {
		return nil
	}
	return s.file
}

// refOf returns the reference the file at path came from, and whether it has one.
func (s *Schema) refOf(path string) (ref, bool) {
	r, ok := s.refs[path]
	return r, ok
}

package protobuf

// Files Confluent Schema Registry makes importable without a reference. The text is ours; the
// package names, message names, field numbers and extension numbers are the ones Confluent's
// serializers put on the wire and in descriptors, so schemas written against Confluent's files
// compile and encode the same against these.
const (
	// MetaProtoName is the import path of Confluent's metadata options.
	MetaProtoName = "confluent/meta.proto"
	// DecimalProtoName is the import path of Confluent's decimal logical type.
	DecimalProtoName = "confluent/type/decimal.proto"

	metaProto = `syntax = "proto3";

package confluent;

import "google/protobuf/descriptor.proto";

option java_package = "io.confluent.protobuf";
option java_outer_classname = "MetaProto";

// Meta annotates a file, message, field, enum or enum value.
message Meta {
  string doc = 1;
  map<string, string> params = 2;
  repeated string tags = 3;
  repeated Rule rules = 4;
}

// Rule is a data rule attached by Meta.
message Rule {
  string name = 1;
  string doc = 2;
  string expr = 3;
  string sql = 4;
}

extend google.protobuf.FileOptions { Meta file_meta = 1088; }
extend google.protobuf.MessageOptions { Meta message_meta = 1088; }
extend google.protobuf.FieldOptions { Meta field_meta = 1088; }
extend google.protobuf.EnumOptions { Meta enum_meta = 1088; }
extend google.protobuf.EnumValueOptions { Meta enum_value_meta = 1088; }
`

	decimalProto = `syntax = "proto3";

package confluent.type;

option java_package = "io.confluent.protobuf.type";
option java_multiple_files = true;
option java_outer_classname = "DecimalProto";

// Decimal is an arbitrary-precision decimal: value is the unscaled integer, two's complement,
// big-endian; precision 0 means unlimited.
message Decimal {
  bytes value = 1;
  uint32 precision = 2;
  int32 scale = 3;
}
`
)

// builtinFiles returns the Confluent files every schema may import, by import path.
func builtinFiles() map[string]string {
	return map[string]string{MetaProtoName: metaProto, DecimalProtoName: decimalProto}
}

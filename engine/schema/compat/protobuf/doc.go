// Package protobuf decides whether a Protobuf schema may follow another under Confluent Schema
// Registry's rules for PROTOBUF subjects: it names every difference between the two schemas as
// Confluent's differ does (the errorType values of POST /compatibility/...?verbose=true) and
// calls the pair compatible when every difference is an allowed one.
//
// Callers parse each schema once with [Parse], giving the text and the files it imports
// ([Dependency]: the resolved references plus their own imports), then ask [Backward]
// (previous, next) for Confluent's BACKWARD check; FORWARD is Backward with the roles swapped.
// Both are pure: nothing is cached between calls and nothing is package-global. The files
// google/protobuf/*.proto, confluent/meta.proto and confluent/type/decimal.proto are always
// importable, as Confluent registers them implicitly.
//
// The walk compares the two files' top-level types by name, then each message pair:
//
//   - package: PACKAGE_CHANGED at "#/" when the package names differ (not allowed).
//   - messages by (nested) name: MESSAGE_ADDED, MESSAGE_REMOVED (not allowed), and
//     MESSAGE_MOVED when a message's index among its siblings changed (the wire format's
//     message indexes are relative to the schema id, so a move is allowed). Map entry
//     messages are not types here, only the map fields are.
//   - enums by name: ENUM_ADDED, ENUM_REMOVED; constants by number: ENUM_CONST_ADDED,
//     ENUM_CONST_REMOVED, ENUM_CONST_CHANGED (new name). All allowed.
//   - fields by number, wherever they sit (top level or in a oneof): FIELD_ADDED,
//     FIELD_REMOVED, REQUIRED_FIELD_ADDED and REQUIRED_FIELD_REMOVED (proto2 required, not
//     allowed), ONEOF_FIELD_ADDED (allowed), ONEOF_FIELD_REMOVED (not allowed, unless the
//     whole oneof went away with all its members), ONEOF_FIELD_MOVED_TO_TOP_LEVEL (allowed).
//   - a field present in both: FIELD_NAME_CHANGED (allowed); its kind, one of scalar (enums
//     count as scalars), message or map, must stay (FIELD_KIND_CHANGED). Scalars must stay in
//     their wire group - {int32 int64 uint32 uint64 bool enum} {sint32 sint64} {string bytes}
//     {fixed32 sfixed32} {fixed64 sfixed64} {float} {double} - else FIELD_SCALAR_KIND_CHANGED.
//     An explicit label change (optional/required/repeated, not the unlabelled proto3 form)
//     is FIELD_NUMERIC_LABEL_CHANGED for numbers (not allowed: packed encoding) and
//     FIELD_STRING_OR_BYTES_LABEL_CHANGED for strings and bytes (allowed). Map keys and values
//     are compared as types. Message fields must name the same type, compared by name without
//     the package (FIELD_NAMED_TYPE_CHANGED); when the type comes from an imported file whose
//     reference differs (another subject or version, or no reference), the two messages are
//     compared too, their differences are reported at the message's own path, and any
//     disallowed one also makes the field FIELD_NAMED_TYPE_CHANGED.
//   - oneofs by name: ONEOF_ADDED, ONEOF_REMOVED (allowed). A oneof of the new schema whose
//     already existing members came from more than one origin (a top-level field each, or one
//     old oneof) makes independent fields mutually exclusive: MULTIPLE_FIELDS_MOVED_TO_ONEOF
//     when several top-level fields moved in, else FIELD_MOVED_TO_EXISTING_ONEOF. Neither is
//     allowed. proto3 "optional" fields are top-level fields here (their synthetic oneofs
//     are not oneofs).
//
// Paths are JSON-pointer-like: "#/" then the message names, then a field number or a oneof
// name and field number ("#/TestMessage/2", "#/Wrapper/Inner/2", "#/Msg/my_oneof/3").
// Options (including confluent.*_meta) and comments are not compared.
//
// The same Schema validates record payloads for the broker's decode mode: [Schema.Validate]
// takes the message indexes of Confluent's wire format (sr.ConfluentHeader.DecodeIndex) and
// the bytes after them, and checks the bytes are a wire encoding of the message the indexes
// name without building it (decode.go lists the rules; [Schema.Message] and
// [Schema.MessageName] resolve the indexes alone). Validate is safe for concurrent use and
// does not allocate on valid input; its tables are built on first use (plan.go).
package protobuf

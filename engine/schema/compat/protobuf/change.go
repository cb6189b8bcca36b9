package protobuf

// Change is one difference found between two schemas, as Confluent's verbose compatibility
// messages name it: Type is the diff type (e.g. "FIELD_ADDED"), Path where it is
// ("#/TestMessage/2"), Compatible whether this change alone is allowed under BACKWARD.
type Change struct {
	Type       string
	Path       string
	Compatible bool
}

// The difference types Confluent's Protobuf differ reports.
const (
	PackageChanged                 = "PACKAGE_CHANGED"
	MessageAdded                   = "MESSAGE_ADDED"
	MessageRemoved                 = "MESSAGE_REMOVED"
	MessageMoved                   = "MESSAGE_MOVED"
	EnumAdded                      = "ENUM_ADDED"
	EnumRemoved                    = "ENUM_REMOVED"
	EnumConstAdded                 = "ENUM_CONST_ADDED"
	EnumConstChanged               = "ENUM_CONST_CHANGED"
	EnumConstRemoved               = "ENUM_CONST_REMOVED"
	FieldAdded                     = "FIELD_ADDED"
	FieldRemoved                   = "FIELD_REMOVED"
	FieldNameChanged               = "FIELD_NAME_CHANGED"
	FieldKindChanged               = "FIELD_KIND_CHANGED"
	FieldScalarKindChanged         = "FIELD_SCALAR_KIND_CHANGED"
	FieldNamedTypeChanged          = "FIELD_NAMED_TYPE_CHANGED"
	FieldNumericLabelChanged       = "FIELD_NUMERIC_LABEL_CHANGED"
	FieldStringOrBytesLabelChanged = "FIELD_STRING_OR_BYTES_LABEL_CHANGED"
	RequiredFieldAdded             = "REQUIRED_FIELD_ADDED"
	RequiredFieldRemoved           = "REQUIRED_FIELD_REMOVED"
	OneofAdded                     = "ONEOF_ADDED"
	OneofRemoved                   = "ONEOF_REMOVED"
	OneofFieldAdded                = "ONEOF_FIELD_ADDED"
	OneofFieldRemoved              = "ONEOF_FIELD_REMOVED"
	OneofFieldMovedToTopLevel      = "ONEOF_FIELD_MOVED_TO_TOP_LEVEL"
	MultipleFieldsMovedToOneof     = "MULTIPLE_FIELDS_MOVED_TO_ONEOF"
	FieldMovedToExistingOneof      = "FIELD_MOVED_TO_EXISTING_ONEOF"
)

// Allowed reports whether a difference of type typ is allowed under BACKWARD on its own
// (Confluent's set of compatible changes for PROTOBUF).
func Allowed(typ string) bool {
	switch typ {
	case MessageAdded, MessageMoved,
		EnumAdded, EnumRemoved, EnumConstAdded, EnumConstChanged, EnumConstRemoved,
		FieldAdded, FieldRemoved, FieldNameChanged, FieldStringOrBytesLabelChanged,
		OneofAdded, OneofRemoved, OneofFieldAdded, OneofFieldMovedToTopLevel:
		return true
	}
	return false
}

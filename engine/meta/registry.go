package meta

// The schema registry's state (engine/schema) is kept here, as records of
// four types, so that it is durable, survives restarts and shows in
// __cluster_metadata like every other change of cluster state. This layer
// keeps the registry's invariants that concern storage (ids name one
// schema for ever, versions are never reused, a reference names a version
// that exists, a hard delete follows a soft one); the REST rules (modes,
// compatibility, Confluent's error codes) belong to engine/schema, which
// checks them before it appends. Here: the records; registry_apply.go: the
// state they build and the checks; registry_view.go: reading it;
// regsnap.go: its part of a snapshot.

// Schema types a SchemaRegistered may carry, as Confluent names them.
const (
	SchemaTypeAvro     = "AVRO"
	SchemaTypeJSON     = "JSON"
	SchemaTypeProtobuf = "PROTOBUF"
)

// compatibilityLevels are the values a RegistryConfigChanged may set.
var compatibilityLevels = []string{
	"BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE",
	"FULL", "FULL_TRANSITIVE", "NONE",
}

// registryModes are the values a RegistryModeChanged may set.
var registryModes = []string{"READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT"}

// SchemaReference is a schema's reference to another registered schema:
// Name is how the referring schema names it (a Protobuf import path, an
// Avro full name, a JSON Schema $ref), Subject and Version where it is
// registered.
type SchemaReference struct {
	Name    string
	Subject string
	Version int32
}

// SchemaRegistered stores a schema as Version of Subject under the global
// ID. Subject is not empty; Version is above every version Subject ever
// had, also hard-deleted ones (versions are never reused); ID is at least
// 1. An ID seen before must come with exactly the schema it was first
// registered with (type, text and references); a new ID must not be given
// to a schema that already has one (ids are per distinct schema), and the
// subject's live versions may not hold ID already. SchemaType is AVRO, JSON
// or PROTOBUF; Schema is the text the registry serves; each reference
// names a version that exists (live or soft-deleted), with distinct names.
type SchemaRegistered struct {
	Subject    string
	Version    int32
	ID         int32
	SchemaType string
	Schema     string
	References []SchemaReference
}

// SchemaDeleted deletes Version of Subject, or every version with Version
// 0. A soft delete (Permanent false) marks live versions deleted: the
// version (or, for 0, at least one version) must be live. A permanent one
// removes versions that are already soft-deleted: the version (or, for 0,
// every version) must be. A permanent delete of a version that a stored
// schema still in use references is refused. A permanent delete of the
// whole subject also removes the subject's config and mode; the subject's
// highest version is kept, so a later registration continues after it.
// The schema ids stay assigned to their schemas.
type SchemaDeleted struct {
	Subject   string
	Version   int32
	Permanent bool
}

// RegistryConfigChanged sets the registry config of Subject ("" for the
// global one) to Compatibility (one of BACKWARD, BACKWARD_TRANSITIVE,
// FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE, NONE; "" for unset)
// and Normalize (nil for unset). The record is the whole config: with
// both unset it deletes the subject's (or the global) config.
type RegistryConfigChanged struct {
	Subject       string
	Compatibility string
	Normalize     *bool
}

// RegistryModeChanged sets the registry mode of Subject ("" for the
// global one) to Mode (READWRITE, READONLY, READONLY_OVERRIDE or IMPORT),
// or deletes it with Mode "".
type RegistryModeChanged struct {
	Subject string
	Mode    string
}

// Type returns TypeSchemaRegistered.
func (SchemaRegistered) Type() RecordType { return TypeSchemaRegistered }

// Type returns TypeSchemaDeleted.
func (SchemaDeleted) Type() RecordType { return TypeSchemaDeleted }

// Type returns TypeRegistryConfigChanged.
func (RegistryConfigChanged) Type() RecordType { return TypeRegistryConfigChanged }

// Type returns TypeRegistryModeChanged.
func (RegistryModeChanged) Type() RecordType { return TypeRegistryModeChanged }

func (SchemaRegistered) record()      {}
func (SchemaDeleted) record()         {}
func (RegistryConfigChanged) record() {}
func (RegistryModeChanged) record()   {}

// Schema is a stored schema: its global id and content.
type Schema struct {
	ID         int32
	Type       string // AVRO, JSON or PROTOBUF
	Text       string
	References []SchemaReference // nil for none
}

// SchemaVersion is one version of a subject.
type SchemaVersion struct {
	Subject string
	Version int32
	ID      int32
	Deleted bool // soft-deleted
}

// RegistryConfig is a registry config, global or of one subject.
type RegistryConfig struct {
	Compatibility string // "" when unset
	Normalize     *bool  // nil when unset
}

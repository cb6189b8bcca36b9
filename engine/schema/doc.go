// Package schema is streamlite's schema registry, Confluent-compatible.
//
// [Registry] is its core, without HTTP: every change is a record in the
// metadata log (engine/meta: SchemaRegistered, SchemaDeleted,
// RegistryConfigChanged, RegistryModeChanged), so the registry survives
// restarts and its ids are global and stable. Its methods mirror the REST
// API's semantics (../shared/notes/schema-registry.md) and refuse a
// request with an [*Error] that carries Confluent's error code, which the
// REST layer maps 1:1 to the HTTP status and the {error_code, message}
// body.
//
// The rules it keeps:
//
//   - ids name a schema's content (type, text, references): the same
//     schema under a second subject gets the same id; registering a schema
//     already live in the subject returns its version and changes nothing.
//   - versions are per subject, from 1, and never reused: not after a
//     hard delete of a version, nor of the whole subject (the notes, 1.2
//     IDs).
//   - a soft delete hides versions (a soft-deleted version's id still
//     resolves); a hard delete needs a soft one first; a version another
//     schema references cannot be deleted; a hard delete of a subject
//     drops its config and mode.
//   - registration checks the schema with its format's parser and the
//     subject's compatibility level (its own, else the global one, else
//     BACKWARD) against its live versions, with engine/schema/compat.
//   - READONLY refuses changes. IMPORT mode registers with the id (and
//     version) the client gives, without a compatibility check, as
//     migration tools need; an id is refused in any other mode.
//
// [NewHandler] serves the registry's REST API, Confluent's paths, bodies,
// content types and error codes (http.go: content negotiation and errors;
// http_subjects.go: /schemas and /subjects; http_config.go: /config, /mode
// and /compatibility). The broker serves it on [DefaultAddr] in
// `streamlite up`. Listings take Confluent's offset and limit; GET
// /contexts answers the default context "." only. Not served yet:
// /v1/metadata, DELETE /contexts, and format=; metadata and ruleSet in a
// schema body are accepted and not kept.
//
// [Validator] checks produced records for topics whose configs ask for it
// ([ProduceRules]; validate.go): a key or value must start with
// Confluent's wire header (magic byte 0, a 4-byte schema id, and for
// Protobuf the message indexes), its id must be held by a live version of
// the subject the topic's [SubjectNameStrategy] names, and in decode mode
// the payload must decode against that schema (each format's Validate in
// engine/schema/compat). Null keys and values (tombstones) pass. A
// soft-deleted version's id does not: its subject gave it up.
package schema

// Package avro decides whether one Avro schema can read data written with another, by Avro's
// schema resolution rules as Confluent Schema Registry applies them (Apache Avro's
// SchemaCompatibility, which Confluent calls for its AVRO compatibility checks).
//
// Callers parse each schema once with [Parse] (references first, see [Reference]) and ask
// [Backward] (previous, next) for Confluent's BACKWARD check, or [Check] (reader, writer) for
// the rule itself; FORWARD is Backward with the roles swapped. Both are pure: nothing is
// cached between calls and nothing is package-global.
//
// The rules, reader ← writer (can a reader with schema R decode data written with W):
//
//   - same primitive: yes; promotions int → long, float, double; long → float, double;
//     float → double; string ↔ bytes. Anything else between primitives is TYPE_MISMATCH.
//   - record, enum, fixed: the unqualified names must match, or the reader lists the writer's
//     full name in its aliases (NAME_MISMATCH at ".../name"). Namespaces are not compared.
//   - record: each reader field is looked up in the writer by its name, then by its aliases;
//     found fields are checked pairwise ("/fields/<i>/type"), missing ones need a default
//     (READER_FIELD_MISSING_DEFAULT_VALUE at "/fields/<i>"). Writer-only fields are skipped.
//   - enum: every writer symbol must be a reader symbol unless the reader enum has a default
//     (MISSING_ENUM_SYMBOLS at ".../symbols").
//   - fixed: sizes must be equal (FIXED_SIZE_MISMATCH at ".../size").
//   - array and map: items ("/items") and values ("/values") by the same rules.
//   - writer union: every branch must be readable; union against union reports each unreadable
//     writer branch as MISSING_UNION_BRANCH at its index. A non-union writer read by a union
//     reader must be readable by some reader branch (MISSING_UNION_BRANCH otherwise).
//   - recursive named types: a pair already being checked counts as compatible, so the walk
//     always ends; a finished pair's result is reused, so shared types are checked once.
//   - logical types are not compared, only the types under them (as Avro and Confluent do).
//
// Paths are JSON-pointer-like, rooted at "/", with the tokens of Avro's checker
// ("/fields/1/type/symbols"). Every reported change is an incompatibility: Avro's checker
// does not name allowed changes, so Compatible is always false.
//
// The package also checks produced data: [Schema.Validate] decides whether a record's
// payload (what follows Confluent's magic byte and schema id) is exactly one datum of the
// schema in Avro's binary encoding, naming the byte, the field path and the fault when it is
// not; [Schema.FullName] gives the root type's name for Confluent's RecordNameStrategy. A
// *Schema may be shared by any number of goroutines validating at once.
package avro

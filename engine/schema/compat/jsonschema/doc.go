// Package jsonschema checks JSON Schema compatibility the way Confluent Schema Registry does.
//
// A caller parses each schema text with [Parse] (which also proves the text is a valid JSON
// Schema of draft 4, 6, 7, 2019-09 or 2020-12; draft 7 when "$schema" is absent, as Confluent
// assumes) and asks [Backward] whether the newer schema can read everything the older one
// accepted. FORWARD is Backward with the roles swapped; FULL is both; the *_TRANSITIVE modes
// repeat the check against every earlier version. The caller owns those loops.
//
// # How the check works
//
// Both schemas are read into a small model that mirrors the one Confluent's checker walks:
// every schema object becomes one node of a kind (object, array, string, number, boolean,
// null, enum, const, not, allOf/anyOf/oneOf, a reference, the empty schema or false). An
// object carrying keywords of several kinds (say "type": "string" and "enum") becomes a
// synthetic allOf of one node per kind, and "type": [..] with several names an anyOf. The two
// trees are then walked side by side and every difference is reported as a [Change] with
// Confluent's diff type name (the errorType of its verbose compatibility messages) and a
// JSON-pointer-like path ("#/properties/foo/maxLength"). The pair is compatible iff every
// change is in the allowed set of the [Policy] (strict by default; LENIENT also allows
// optional properties added to an open content model and a narrowed additionalProperties).
//
// Content models decide what adding or removing a property (or tuple item) means:
//   - open: additionalProperties absent or true, no patternProperties. Removing a property is
//     fine (old data still validates), adding one is not (old data may hold that name with
//     another type) unless its schema is empty.
//   - closed: additionalProperties false. Adding an optional property is fine; removing one
//     is not, unless its schema was false.
//   - partially open: patternProperties or a schema for additionalProperties. An added or
//     removed property is compared against the schema the other side gave that name.
//
// Drafts 2019-09 and 2020-12 are read into the same model ("prefixItems" as the tuple,
// "items" then as additionalItems, "dependentRequired"/"dependentSchemas" as dependencies,
// unevaluated* like additional*), and, matching Confluent, "$id" changes are not reported for
// them, an absent minContains means 1, and an empty "properties" object is no keyword.
//
// Recursion through "$ref" is bounded: a pair of references already being compared is not
// entered again, and the whole walk has a step budget; a comparison that runs out of budget
// reports [TooComplex], which is never compatible.
//
// [Schema.Validate] checks a produced payload against the schema for the broker's decode mode:
// exactly one JSON value, valid UTF-8, nested at most 1000 deep, numbers of at most 1000
// characters and exponents within ±1000 (beyond that the validator library fails or crawls),
// then valid against the compiled schema; the error names the instance location and the
// first deepest failing keyword. [Schema.Title] is the record name RecordNameStrategy uses.
package jsonschema

package jsonschema

// Change is one difference found between two schemas, as Confluent's verbose compatibility
// messages name it: Type is the diff type (e.g. "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
// "MAX_LENGTH_DECREASED"), Path where it is (JSON-pointer-like, e.g. "#/properties/foo"),
// Compatible whether this change alone is allowed under BACKWARD with the policy used.
type Change struct {
	Type       string
	Path       string
	Compatible bool
}

// Policy selects which diff types are allowed, as the subject config's compatibilityPolicy.
type Policy int

const (
	// Strict is Confluent's default policy.
	Strict Policy = iota
	// Lenient (compatibilityPolicy LENIENT) additionally allows an optional property added to
	// an open content model, a property added to or removed from a partially open one that
	// its schema does not cover, and an additionalProperties that was removed or narrowed.
	Lenient
)

// TooComplex is the diff type reported when a comparison exceeds its step budget (deeply
// recursive references); it is never compatible.
const TooComplex = "COMPARISON_TOO_COMPLEX"

// strictAllowed reports whether t is allowed under the strict policy: each names a change
// after which the new schema still accepts every document the old one accepted.
func strictAllowed(t string) bool {
	switch t {
	case
		"ID_CHANGED", "DESCRIPTION_CHANGED", "TITLE_CHANGED", "DEFAULT_CHANGED",
		"SCHEMA_REMOVED", "TYPE_EXTENDED",
		"MAX_LENGTH_INCREASED", "MAX_LENGTH_REMOVED", "MIN_LENGTH_DECREASED", "MIN_LENGTH_REMOVED",
		"PATTERN_REMOVED",
		"MAXIMUM_INCREASED", "MAXIMUM_REMOVED", "MINIMUM_DECREASED", "MINIMUM_REMOVED",
		"EXCLUSIVE_MAXIMUM_INCREASED", "EXCLUSIVE_MAXIMUM_REMOVED",
		"EXCLUSIVE_MINIMUM_DECREASED", "EXCLUSIVE_MINIMUM_REMOVED",
		"MULTIPLE_OF_REDUCED", "MULTIPLE_OF_REMOVED",
		"REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED", "REQUIRED_ATTRIBUTE_REMOVED",
		"DEPENDENCY_ARRAY_NARROWED", "DEPENDENCY_ARRAY_REMOVED", "DEPENDENCY_SCHEMA_REMOVED",
		"MAX_PROPERTIES_INCREASED", "MAX_PROPERTIES_REMOVED",
		"MIN_PROPERTIES_DECREASED", "MIN_PROPERTIES_REMOVED",
		"ADDITIONAL_PROPERTIES_ADDED", "ADDITIONAL_PROPERTIES_EXTENDED",
		"PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
		"REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL",
		"OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
		"PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
		"PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
		"PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
		"PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
		"MAX_ITEMS_INCREASED", "MAX_ITEMS_REMOVED", "MIN_ITEMS_DECREASED", "MIN_ITEMS_REMOVED",
		"UNIQUE_ITEMS_REMOVED",
		"ADDITIONAL_ITEMS_ADDED", "ADDITIONAL_ITEMS_EXTENDED",
		"ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
		"ITEM_ADDED_TO_CLOSED_CONTENT_MODEL",
		"ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
		"ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL",
		"ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
		"ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
		"MIN_CONTAINS_DECREASED", "MIN_CONTAINS_REMOVED",
		"MAX_CONTAINS_INCREASED", "MAX_CONTAINS_REMOVED",
		"ENUM_ARRAY_EXTENDED", "COMBINED_TYPE_EXTENDED", "PRODUCT_TYPE_NARROWED",
		"SUM_TYPE_EXTENDED", "NOT_TYPE_NARROWED":
		return true
	}
	return false
}

// lenientAllowed reports whether t is allowed by the LENIENT policy on top of strictAllowed.
func lenientAllowed(t string) bool {
	switch t {
	case "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
		"PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
		"PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
		"ADDITIONAL_PROPERTIES_REMOVED",
		"ADDITIONAL_PROPERTIES_NARROWED":
		return true
	}
	return false
}

// allowed reports whether diff type t is allowed under policy p.
func allowed(p Policy, t string) bool {
	return strictAllowed(t) || (p == Lenient && lenientAllowed(t))
}

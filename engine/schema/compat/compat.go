// Package compat decides whether a schema may be registered after the ones before it, as
// Confluent Schema Registry's compatibility levels say. The format rules live in one
// subpackage per format (avro, jsonschema, protobuf), each answering one question, Confluent's
// BACKWARD check of a pair ("can the new schema read data written with the previous one?"),
// with every change it found. This package turns that question into every level:
//
//	BACKWARD             new reads data written with the latest previous version
//	BACKWARD_TRANSITIVE  new reads data written with every previous version
//	FORWARD              the latest previous version reads data written with new
//	FORWARD_TRANSITIVE   every previous version reads data written with new
//	FULL                 BACKWARD and FORWARD
//	FULL_TRANSITIVE      BACKWARD_TRANSITIVE and FORWARD_TRANSITIVE
//	NONE                 no check
//
// FORWARD is the BACKWARD check with the roles swapped. A previous version of another format
// is always incompatible ("Incompatible because of different schema type"), as in Confluent.
package compat

import (
	"fmt"
	"strings"
)

// Level is a compatibility level, by Confluent's name.
type Level string

// The compatibility levels.
const (
	Backward           Level = "BACKWARD"
	BackwardTransitive Level = "BACKWARD_TRANSITIVE"
	Forward            Level = "FORWARD"
	ForwardTransitive  Level = "FORWARD_TRANSITIVE"
	Full               Level = "FULL"
	FullTransitive     Level = "FULL_TRANSITIVE"
	None               Level = "NONE"
)

// Levels lists every level, in Confluent's order.
func Levels() []Level {
	return []Level{Backward, BackwardTransitive, Forward, ForwardTransitive, Full, FullTransitive, None}
}

// ParseLevel reads a level name, case-insensitively as Confluent does. An unknown name is an
// error (the registry answers it 42203).
func ParseLevel(s string) (Level, error) {
	l := Level(strings.ToUpper(strings.TrimSpace(s)))
	for _, k := range Levels() {
		if l == k {
			return l, nil
		}
	}
	return "", fmt.Errorf("compat: invalid compatibility level %q (want one of %v)", s, Levels())
}

// Change is one difference a format's checker found between a previous and a new schema, by
// Confluent's diff type names ("FIELD_ADDED", "READER_FIELD_MISSING_DEFAULT_VALUE", ...), where it
// is, and whether it alone keeps the pair BACKWARD compatible.
type Change struct {
	Type       string
	Path       string
	Compatible bool
	// Description says it in words, for the registry's verbose messages; may be empty.
	Description string
}

// Checker is one format's BACKWARD check of a pair of parsed schemas: compatible when every
// change is. Schemas are values of the format's own parsed type.
type Checker[S any] func(previous, next S) (compatible bool, changes []Change)

// Version is a previous schema of the subject, with its version number (for messages).
type Version[S any] struct {
	Version int
	Schema  S
	// Type is the schema's format ("AVRO", "JSON", "PROTOBUF"), to refuse a change of format.
	Type string
}

// Problem is one reason a registration is incompatible: the change, the previous version it
// was found against, and the direction of the check.
type Problem struct {
	Change
	// Version is the previous version checked against.
	Version int
	// Direction is "BACKWARD" (new reads previous) or "FORWARD" (previous reads new).
	Direction string
}

// Message renders p as one entry of Confluent's verbose messages.
func (p Problem) Message() string {
	desc := p.Description
	if desc == "" {
		desc = strings.ToLower(strings.ReplaceAll(p.Type, "_", " ")) + " at " + p.Path
	}
	return fmt.Sprintf("{errorType:%q, description:%q, location:%q, oldSchemaVersion:%d, direction:%q}",
		p.Type, desc, p.Path, p.Version, p.Direction)
}

// Check decides whether next (of format typ) may follow previous (oldest first) under level,
// and returns every incompatible change found (none when compatible). Only live previous
// versions belong in previous.
func Check[S any](level Level, check Checker[S], typ string, next S, previous []Version[S]) (bool, []Problem) {
	if level == None || len(previous) == 0 {
		return true, nil
	}
	against := previous
	switch level {
	case Backward, Forward, Full:
		against = previous[len(previous)-1:]
	}
	backward := level == Backward || level == BackwardTransitive || level == Full || level == FullTransitive
	forward := level == Forward || level == ForwardTransitive || level == Full || level == FullTransitive
	var problems []Problem
	for _, pv := range against {
		if pv.Type != typ {
			problems = append(problems, Problem{
				Change: Change{Type: "SCHEMA_TYPE_CHANGED", Path: "#/",
					Description: fmt.Sprintf("Incompatible because of different schema type: %s after %s", typ, pv.Type)},
				Version: pv.Version, Direction: string(level),
			})
			continue
		}
		if backward {
			if ok, changes := check(pv.Schema, next); !ok {
				problems = appendIncompatible(problems, changes, pv.Version, "BACKWARD")
			}
		}
		if forward {
			if ok, changes := check(next, pv.Schema); !ok {
				problems = appendIncompatible(problems, changes, pv.Version, "FORWARD")
			}
		}
	}
	return len(problems) == 0, problems
}

func appendIncompatible(dst []Problem, changes []Change, version int, dir string) []Problem {
	n := len(dst)
	for _, c := range changes {
		if !c.Compatible {
			dst = append(dst, Problem{Change: c, Version: version, Direction: dir})
		}
	}
	if len(dst) == n { // the checker said no without naming a change: still a problem
		dst = append(dst, Problem{Change: Change{Type: "INCOMPATIBLE", Path: "#/"}, Version: version, Direction: dir})
	}
	return dst
}

package schema

import (
	"errors"
	"fmt"
)

// Error is a registry error with Confluent's error code, so the REST layer
// answers it 1:1: HTTP status [Error.Status], body {"error_code": Code,
// "message": Message}. Registry methods return *Error for every refusal
// of the request; anything else they return (a failed metadata append) is
// a store error, 50001 by [Code].
type Error struct {
	// Code is Confluent's error_code (40401, 42201, 409, ...).
	Code int
	// Message is the text Confluent sends for it, with the details.
	Message string
	// Messages lists each incompatibility, for the compatibility
	// endpoint's verbose answer; set only with CodeIncompatible.
	Messages []string
}

// Confluent's error codes the registry answers with (see
// ../shared/notes/schema-registry.md, 1.1).
const (
	CodeSubjectNotFound           = 40401
	CodeVersionNotFound           = 40402
	CodeSchemaNotFound            = 40403
	CodeSubjectSoftDeleted        = 40404
	CodeSubjectNotSoftDeleted     = 40405
	CodeVersionSoftDeleted        = 40406
	CodeVersionNotSoftDeleted     = 40407
	CodeSubjectConfigNotFound     = 40408
	CodeSubjectModeNotFound       = 40409
	CodeIncompatible              = 409 // Confluent master sends 40901; every released client expects 409
	CodeInvalidSchema             = 42201
	CodeInvalidVersion            = 42202
	CodeInvalidCompatibilityLevel = 42203
	CodeInvalidMode               = 42204
	CodeOperationNotPermitted     = 42205
	CodeReferenceExists           = 42206
	CodeInvalidSubject            = 42208
	CodeStore                     = 50001
)

func (e *Error) Error() string { return fmt.Sprintf("schema registry %d: %s", e.Code, e.Message) }

// Status returns the HTTP status of e: the first three digits of its
// code (40401 → 404, 409 → 409).
func (e *Error) Status() int {
	s := e.Code
	for s >= 1000 {
		s /= 10
	}
	return s
}

// Code returns the Confluent error code of err: an *Error's own, 50001
// (store error) for any other error, 0 for nil.
func Code(err error) int {
	if err == nil {
		return 0
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeStore
}

func newError(code int, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func errSubjectNotFound(subject string) *Error {
	return newError(CodeSubjectNotFound, "Subject '%s' not found.", subject)
}

func errVersionNotFound(version int32) *Error {
	return newError(CodeVersionNotFound, "Version %d not found.", version)
}

func errSchemaNotFound(format string, args ...any) *Error {
	return newError(CodeSchemaNotFound, format, args...)
}

func errInvalidSchema(format string, args ...any) *Error {
	return newError(CodeInvalidSchema, format, args...)
}

func errNotPermitted(format string, args ...any) *Error {
	return newError(CodeOperationNotPermitted, format, args...)
}

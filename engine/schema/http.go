package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
)

// DefaultAddr is where the registry's REST listener binds unless told
// otherwise: Confluent Schema Registry's port.
const DefaultAddr = "127.0.0.1:8081"

// Content types of the REST API (../shared/notes/schema-registry.md, 1.1).
const (
	contentTypeV1      = "application/vnd.schemaregistry.v1+json" // what every answer carries by default
	contentTypeGeneric = "application/vnd.schemaregistry+json"
	contentTypeJSON    = "application/json" // answered when the client accepts only it
	contentTypeOctet   = "application/octet-stream"
)

// maxBody bounds a request body; a larger one is refused with 42209.
const maxBody = 16 << 20

// Codes the HTTP layer answers itself, besides the registry's.
const (
	codeBadRequest       = 400   // body is not JSON (Confluent: a Jackson parse error)
	codeNotFound         = 404   // no such route
	codeUnsupportedMedia = 415   // request Content-Type not one of the accepted ones
	codeSchemaTooLarge   = 42209 // body over maxBody
)

// NewHandler returns the Confluent-compatible REST API over r: the
// endpoints of ../shared/notes/schema-registry.md, 1.2, except /schemas
// (the listing), /contexts and /v1/metadata. Answers are JSON with Content-Type
// application/vnd.schemaregistry.v1+json (application/json when the client
// accepts only that); refusals carry {"error_code", "message"} with the
// HTTP status the code's first three digits name. Requests may be sent as
// application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json,
// application/json, application/octet-stream, or without a Content-Type.
//
// Subjects in paths are URL-escaped path segments ("a%2Fb" is the subject
// "a/b"). logger receives store errors (Error) and refused requests
// (Debug); nil discards them.
func NewHandler(r *Registry, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := &handler{reg: r, logger: logger, mux: http.NewServeMux()}
	h.routes()
	return h
}

// handler serves the REST API. It holds no state of its own: every request
// reads or changes the Registry, which is safe for concurrent use.
type handler struct {
	reg    *Registry
	logger *slog.Logger
	mux    *http.ServeMux
}

// endpoint answers one request: the value to send as JSON with 200, or an
// error (*Error for a refusal, anything else a store error).
type endpoint func(r *http.Request) (any, error)

func (h *handler) routes() {
	h.handle("GET /{$}", func(*http.Request) (any, error) { return struct{}{}, nil })
	h.schemaRoutes()
	h.subjectRoutes()
	h.configRoutes()
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.writeError(w, r, &Error{Code: codeNotFound, Message: "HTTP 404 Not Found"})
	})
}

// handle serves pattern with e: it checks the request's content type,
// bounds its body, and writes e's answer or error.
func (h *handler) handle(pattern string, e endpoint) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := checkContentType(r); err != nil {
			h.writeError(w, r, err)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		v, err := e(r)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		h.write(w, r, http.StatusOK, v)
	})
}

// ServeHTTP answers one request. A panic in an endpoint (a bug: client
// input must never cause one) is logged and answered as a 500.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			h.logger.Error("schema registry: panic serving request", "method", r.Method, "path", r.URL.Path, "panic", p)
			h.writeError(w, r, fmt.Errorf("internal error: %v", p))
		}
	}()
	h.mux.ServeHTTP(w, r)
}

// checkContentType refuses a request body of a type Confluent does not
// take (415). A missing Content-Type is accepted.
func checkContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" || r.Method == http.MethodGet || r.Method == http.MethodDelete {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil {
		switch mt {
		case contentTypeV1, contentTypeGeneric, contentTypeJSON, contentTypeOctet:
			return nil
		}
	}
	return &Error{Code: codeUnsupportedMedia, Message: fmt.Sprintf(
		"HTTP 415 Unsupported Media Type: Content-Type %q; send %s, %s or %s", ct, contentTypeV1, contentTypeGeneric, contentTypeJSON)}
}

// responseType is the Content-Type of the answer to r: application/json
// when the client accepts it but not the registry's own types, else
// application/vnd.schemaregistry.v1+json.
func responseType(r *http.Request) string {
	accept := r.Header.Values("Accept")
	if len(accept) == 0 {
		return contentTypeV1
	}
	json := false
	for _, a := range accept {
		for part := range strings.SplitSeq(a, ",") {
			mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			switch mt {
			case contentTypeV1, contentTypeGeneric, "*/*", "application/*":
				return contentTypeV1
			case contentTypeJSON:
				json = true
			}
		}
	}
	if json {
		return contentTypeJSON
	}
	return contentTypeV1
}

// write answers v as JSON with status.
func (h *handler) write(w http.ResponseWriter, r *http.Request, status int, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // schemas may hold <, > and &; keep them readable
	if raw, ok := v.(rawSchema); ok {
		b.WriteString(string(raw))
	} else if err := enc.Encode(v); err != nil {
		h.logger.Error("schema registry: encoding answer", "path", r.URL.Path, "err", err)
		status = http.StatusInternalServerError
		b.Reset()
		fmt.Fprintf(&b, `{"error_code":%d,"message":"encoding the answer failed"}`+"\n", CodeStore)
	}
	w.Header().Set("Content-Type", responseType(r))
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// errorBody is Confluent's error answer.
type errorBody struct {
	Code    int    `json:"error_code"`
	Message string `json:"message"`
}

// writeError answers err: an *Error with its status and code; anything
// else is a store error (500, 50001), logged.
func (h *handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	if !errors.As(err, &e) {
		h.logger.Error("schema registry: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		e = &Error{Code: CodeStore, Message: "Error in the backend data store: " + err.Error()}
	} else {
		h.logger.Debug("schema registry: request refused", "method", r.Method, "path", r.URL.Path, "code", e.Code, "message", e.Message)
	}
	h.write(w, r, e.Status(), errorBody{Code: e.Code, Message: e.Message})
}

// decodeBody reads r's JSON body into v. An empty body leaves v as it is;
// a body that is not JSON (or not of v's shape) is 400, one over maxBody
// is 42209.
func decodeBody(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return &Error{Code: codeSchemaTooLarge, Message: fmt.Sprintf("Request body is larger than %d bytes", maxBody)}
		}
		return fmt.Errorf("schema: reading request body: %w", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &Error{Code: codeBadRequest, Message: "Unrecognized request body: " + err.Error()}
	}
	return nil
}

// boolParam reads a boolean query parameter: true only for "true" (any
// case), as Confluent reads them.
func boolParam(r *http.Request, name string) bool {
	return strings.EqualFold(r.URL.Query().Get(name), "true")
}

package admin

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
)

// Metadata is the metadata log as the admin API shows and drives it: the
// broker passes its meta.Log (through a small adapter) as Config.Metadata.
//
// Both methods are called on the HTTP request's goroutine, concurrently
// with the broker's appends to the log and possibly with other admin
// requests, so they must be safe for concurrent use.
type Metadata interface {
	// MetadataStats returns a JSON-encodable description of the metadata
	// log (its indexes, its last snapshot, ...). GET /v1/metadata answers
	// it as received; the Server keeps no reference to it.
	MetadataStats() any
	// Snapshot writes a snapshot of the metadata log now and returns the
	// index it covers. It may block for as long as writing takes; its
	// error is answered as a 500.
	Snapshot() (uint64, error)
}

// snapshotBody is the answer of POST /v1/metadata/snapshot.
type snapshotBody struct {
	Index uint64 `json:"index"`
}

// serveMetadataStats answers GET /v1/metadata.
func (s *Server) serveMetadataStats(w http.ResponseWriter, _ *http.Request) {
	if s.cfg.Metadata == nil {
		writeError(w, http.StatusNotFound, "this broker has no metadata log")
		return
	}
	writeJSON(w, s.cfg.Metadata.MetadataStats(), s.cfg.Logger)
}

// serveSnapshot answers POST /v1/metadata/snapshot.
func (s *Server) serveSnapshot(w http.ResponseWriter, _ *http.Request) {
	if s.cfg.Metadata == nil {
		writeError(w, http.StatusNotFound, "this broker has no metadata log")
		return
	}
	index, err := s.cfg.Metadata.Snapshot()
	if err != nil {
		s.cfg.Logger.Warn("admin: metadata snapshot on request failed", "err", err)
		writeError(w, http.StatusInternalServerError, "writing a metadata snapshot: "+err.Error())
		return
	}
	s.cfg.Logger.Info("admin: metadata snapshot written on request", "index", index)
	writeJSON(w, snapshotBody{Index: index}, s.cfg.Logger)
}

// writeJSON answers 200 with v as JSON, or a 500 JSON error if v does not
// encode: it is encoded in full before anything is written, so a failure
// never leaves half a body behind a 200.
func writeJSON(w http.ResponseWriter, v any, logger *slog.Logger) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		logger.Warn("admin: encoding a JSON answer", "err", err)
		writeError(w, http.StatusInternalServerError, "encoding the answer: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(buf.Bytes())
}

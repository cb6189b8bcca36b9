// Package admin is the broker's admin HTTP listener (default
// 127.0.0.1:9644): Prometheus metrics, liveness and readiness, and the
// metadata log's stats and snapshots.
//
// Endpoints, GET or HEAD unless said otherwise (other methods get 405 with
// an Allow header):
//
//	/metrics                Prometheus text format, from a registry private to the Server
//	/healthz                200 "ok" while the process serves HTTP at all
//	/readyz                 200 "ok" once Config.Ready reports true, else 503
//	                        {"error_code":503,"message":"..."}
//	/v1/metadata            200 application/json: Config.Metadata's MetadataStats,
//	                        as it encodes; 404 without a Config.Metadata
//	/v1/metadata/snapshot   POST only: writes a metadata snapshot now and answers
//	                        200 {"index":N}, the index it covers; 500 if writing
//	                        fails; 404 without a Config.Metadata
//
// Any other path is 404 with the same JSON error shape, as every REST
// surface of streamlite answers errors.
//
// # Metrics
//
// Offset and lag gauges are not stored: a custom collector asks the
// Config.State for offsets at each scrape and derives them, with the names
// kafka_exporter uses so existing dashboards work unchanged:
//
//	kafka_brokers                                              brokers in the cluster (Config.Brokers)
//	kafka_topic_partitions{topic}                              partitions of a topic
//	kafka_topic_partition_current_offset{topic,partition}      high watermark
//	kafka_topic_partition_oldest_offset{topic,partition}       log start offset
//	kafka_consumergroup_current_offset{consumergroup,topic,partition}  committed offset
//	kafka_consumergroup_current_offset_sum{consumergroup,topic}
//	kafka_consumergroup_lag{consumergroup,topic,partition}     high watermark - committed
//	kafka_consumergroup_lag_sum{consumergroup,topic}
//
// Lag is not clamped, as kafka_exporter and kafka-consumer-groups.sh do not
// clamp it: a commit past the high watermark (after a truncation) shows as
// negative lag, which is worth an alert. A negative committed offset (no
// commit) gives lag -1, kafka_exporter's marker; a commit on a partition the
// State does not list (a deleted topic) gets no lag series.
//
// The broker's own counters come from a RequestMetrics (see its doc):
// streamlite_requests_total{api}, streamlite_request_bytes_total{api},
// streamlite_response_bytes_total{api}, streamlite_produced_bytes_total{topic}
// and streamlite_fetched_bytes_total{topic}. The registry also carries the
// standard go_* and process_* collectors.
//
// # Lifecycle
//
// New builds a Server; Serve answers on a listener until Shutdown (which
// waits for requests in flight, up to its context) or Close (which cuts
// them); after either, Serve returns ErrServerClosed. A Server serves at most
// once.
package admin

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// DefaultAddr is where the admin listener binds unless told otherwise.
const DefaultAddr = "127.0.0.1:9644"

// ErrServerClosed is returned by Serve after Shutdown or Close: a deliberate
// stop, not a failure.
var ErrServerClosed = errors.New("admin: server closed")

// Config configures a Server. The zero value is usable: ready at once, no
// offset metrics, no request counters, no metadata endpoints, one broker.
type Config struct {
	// Ready reports whether the broker is ready for clients (its
	// listeners bound, its logs recovered). /readyz answers 200 once it
	// returns true and 503 before. It is called on the HTTP goroutine of
	// each /readyz request, so it must be cheap and safe for concurrent
	// use. Nil means always ready.
	Ready func() bool

	// State gives the offsets the kafka_* gauges are computed from, at
	// each scrape. Nil: no offset or lag metrics.
	State State

	// Requests are the broker's request and byte counters, registered
	// on this Server's registry. Nil: none.
	Requests *RequestMetrics

	// Metadata is the metadata log behind /v1/metadata and
	// /v1/metadata/snapshot. Nil: both answer 404.
	Metadata Metadata

	// Tier gives the streamlite_tiered_* gauges. Nil: none (memory mode).
	Tier TierState

	// Brokers is what kafka_brokers reports. Zero means 1 (streamlite is a
	// single node).
	Brokers int

	// Logger receives HTTP server errors, metrics-gathering errors and
	// snapshots written on request (or their failure). Nil means
	// slog.Default().
	Logger *slog.Logger
}

// Server is the admin HTTP server. It is an http.Handler too, so tests and
// embedders can mount it without a listener.
type Server struct {
	cfg      Config
	registry *prometheus.Registry
	metrics  http.Handler
	http     *http.Server
}

// New returns a Server for cfg. It registers the offset collector (if
// cfg.State is set), cfg.Requests (if set) and the Go runtime and process
// collectors on a new private registry; it panics only if cfg.Requests is
// registered twice on it, which cannot happen.
func New(cfg Config) *Server {
	if cfg.Brokers <= 0 {
		cfg.Brokers = 1
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newOffsetCollector(cfg.State, cfg.Brokers),
	)
	if cfg.Requests != nil {
		reg.MustRegister(cfg.Requests)
	}
	if cfg.Tier != nil {
		reg.MustRegister(tierCollector{cfg.Tier})
	}
	s := &Server{cfg: cfg, registry: reg}
	s.metrics = promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      slogPrinter{cfg.Logger},
		ErrorHandling: promhttp.ContinueOnError, // serve what could be gathered
	})
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	return s
}

// Registry returns the Server's private registry, for tests and for parts
// of the broker that add collectors of their own.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// Serve accepts connections on ln and answers them until Shutdown or Close,
// then returns ErrServerClosed; any other error is the listener's. Serve
// closes ln when it returns.
func (s *Server) Serve(ln net.Listener) error {
	err := s.http.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return ErrServerClosed
	}
	return err
}

// Shutdown stops accepting connections, closes idle ones and waits for
// requests in flight to finish, or for ctx to end (returning its error).
func (s *Server) Shutdown(ctx context.Context) error { return s.http.Shutdown(ctx) }

// Close closes the listener and every connection at once, without waiting.
func (s *Server) Close() error { return s.http.Close() }

// ServeHTTP answers one admin request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var h func(http.ResponseWriter, *http.Request)
	post := false // GET and HEAD, or POST only
	switch r.URL.Path {
	case "/metrics":
		h = s.metrics.ServeHTTP
	case "/healthz":
		h = serveOK
	case "/readyz":
		h = s.serveReady
	case "/v1/metadata":
		h = s.serveMetadataStats
	case "/v1/metadata/snapshot":
		h, post = s.serveSnapshot, true
	case "/v1/tiered":
		h = s.serveTiered
	default:
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.URL.Path+
			" (have /metrics, /healthz, /readyz, /v1/metadata, /v1/metadata/snapshot, /v1/tiered)")
		return
	}
	allowed := r.Method == http.MethodGet || r.Method == http.MethodHead
	allow := "GET, HEAD"
	if post {
		allowed, allow = r.Method == http.MethodPost, "POST"
	}
	if !allowed {
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed on "+r.URL.Path)
		return
	}
	h(w, r)
}

func serveOK(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Ready != nil && !s.cfg.Ready() {
		writeError(w, http.StatusServiceUnavailable, "broker not ready")
		return
	}
	serveOK(w, r)
}

// errorBody is the JSON error every streamlite REST surface answers with.
type errorBody struct {
	ErrorCode int    `json:"error_code"`
	Message   string `json:"message"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorBody{ErrorCode: status, Message: msg})
}

// slogPrinter adapts a slog.Logger to promhttp's Logger.
type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Println(v ...any) {
	p.l.Warn("admin: gathering metrics", "error", slogArgs(v))
}

func slogArgs(v []any) any {
	if len(v) == 1 {
		return v[0]
	}
	return v
}

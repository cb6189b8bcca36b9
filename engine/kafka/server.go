// Package kafka is streamlite's Kafka wire server: it accepts connections, reads size-prefixed
// requests, decodes them with franz-go's kmsg, answers each from the cluster state
// (engine/cluster) and writes responses back in request order.
//
// Each API lives in its own file named by its key (00_produce.go, 01_fetch.go, ...), opening
// with the versions served and what each version changes.
//
// Concurrency: every connection has a reader goroutine that decodes and handles one request at a
// time, as Kafka does, and a writer goroutine that writes responses in order. A produce with
// acks=all appends on the reader goroutine and hands the writer a response that completes when
// the flusher has made the batch durable; the reader moves on, so pipelined produces from one
// connection share fsync rounds. Fetches that wait for data park on the reader goroutine, and
// so do JoinGroup and SyncGroup until the group coordinator (engine/group) answers them, as
// Kafka parks them, and the transaction APIs until the transaction coordinator (engine/txn)
// has made their outcome durable.
package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"

	"github.com/streamlite/streamlite/engine/cluster"
	"github.com/streamlite/streamlite/engine/group"
	"github.com/streamlite/streamlite/engine/schema"
	"github.com/streamlite/streamlite/engine/txn"
)

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("kafka: server closed")

// Config configures a Server.
type Config struct {
	// Cluster is the state the server answers from. Required.
	Cluster *cluster.Cluster
	// Logger receives connection-level problems; nil discards.
	Logger *slog.Logger
	// AutoCreateTopics is auto.create.topics.enable: Metadata requests that allow it create
	// unknown topics with num.partitions partitions.
	AutoCreateTopics bool
	// AdvertisedAddr is the host:port clients are told to connect to; "" means the listener's
	// address.
	AdvertisedAddr string
	// ClusterID is returned in Metadata and DescribeCluster.
	ClusterID string
	// Groups is the group coordinator that answers the consumer-group APIs; nil answers them
	// with COORDINATOR_NOT_AVAILABLE.
	Groups *group.Coordinator
	// Txn is the transaction coordinator that answers the transaction APIs (InitProducerID
	// with a transactional id, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, TxnOffsetCommit,
	// DescribeTransactions, ListTransactions) and admits transactional produce (BeginWrite);
	// nil answers those APIs with COORDINATOR_NOT_AVAILABLE (produce: see 00_produce.go).
	Txn *txn.Coordinator
	// MaxRequestBytes is socket.request.max.bytes: a larger frame closes the connection.
	// 0 means 100 MiB.
	MaxRequestBytes int32
	// Observer receives request and byte counts for metrics; nil counts nothing.
	Observer Observer
	// Schemas checks produced records for topics whose configs ask for it
	// (confluent.value.schema.validation and the like, see
	// schema.ProduceRules). Nil refuses every batch produced to such a
	// topic, since it cannot be checked.
	Schemas *schema.Validator
}

// Server serves the Kafka protocol on one or more listeners.
type Server struct {
	cfg    Config
	c      *cluster.Cluster
	logger *slog.Logger
	obs    Observer

	ctx    context.Context // cancelled by Close: parks and waits end
	cancel context.CancelFunc

	mu        sync.Mutex // guards listeners, conns, closed, advHost/advPort
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	closed    bool
	advHost   string
	advPort   int32

	wg sync.WaitGroup // connection goroutines

	bufs bufPool // request and response buffers, shared by all connections

	// refusedLogged holds, by topic, when a schema-check refusal was last
	// logged (*atomic.Int64, Unix nanoseconds), to log at most one a second.
	refusedLogged sync.Map
}

// NewServer returns a server for cfg; call Serve to accept connections.
func NewServer(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxRequestBytes <= 0 {
		cfg.MaxRequestBytes = 100 << 20
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		cfg:       cfg,
		c:         cfg.Cluster,
		logger:    cfg.Logger,
		obs:       cfg.Observer,
		ctx:       ctx,
		cancel:    cancel,
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*conn]struct{}),
	}
}

// Serve accepts connections on ln until Close, then returns ErrServerClosed.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ln.Close()
		return ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
	if s.advHost == "" {
		addr := s.cfg.AdvertisedAddr
		if addr == "" {
			addr = ln.Addr().String()
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			s.mu.Unlock()
			return fmt.Errorf("kafka: advertised address %q: %w", addr, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil {
			s.mu.Unlock()
			return fmt.Errorf("kafka: advertised port %q: %w", port, err)
		}
		s.advHost, s.advPort = host, int32(p)
	}
	s.mu.Unlock()
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("kafka: accept: %w", err)
		}
		if tc, ok := nc.(*net.TCPConn); ok {
			_ = tc.SetNoDelay(true)
		}
		c := newConn(s, nc)
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = nc.Close()
			return ErrServerClosed
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			c.serve()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// advertised returns the host and port clients are told to use.
func (s *Server) advertised() (string, int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.advHost, s.advPort
}

// Close stops accepting, closes every connection (in-flight responses are dropped; clients
// retry) and waits for the connection goroutines to end.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.wg.Wait()
		return nil
	}
	s.closed = true
	var errs []error
	for ln := range s.listeners {
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	for c := range s.conns {
		c.close()
	}
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return errors.Join(errs...)
}

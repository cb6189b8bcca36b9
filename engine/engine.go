// Package engine is streamlite's broker as a library: Start opens (or creates) a data
// directory, recovers every partition log, and serves the Kafka protocol until it is shut down.
// The `streamlite up` command and the enginetest fixture are both thin wrappers around it.
//
// A data directory holds:
//
//	DIR/.lock          flock(2)-held while a broker uses DIR
//	DIR/cluster.id     the cluster id, made on first start
//	DIR/meta/          the metadata log (engine/meta)
//	DIR/topics/NAME~ID/P/   partition P's segments and indexes (engine/log)
package engine

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/streamlite/streamlite/engine/admin"
	"github.com/streamlite/streamlite/engine/cluster"
	"github.com/streamlite/streamlite/engine/group"
	"github.com/streamlite/streamlite/engine/kafka"
	"github.com/streamlite/streamlite/engine/log"
	"github.com/streamlite/streamlite/engine/meta"
	"github.com/streamlite/streamlite/engine/schema"
	"github.com/streamlite/streamlite/engine/txn"
	"github.com/streamlite/streamlite/tiered"
	"github.com/streamlite/streamlite/tiered/objstore"
)

// FlushPolicy says when partition writes reach stable storage.
type FlushPolicy string

// Flush policies, the values of `streamlite up --flush`.
const (
	// FlushSync fsyncs before acks=all is answered, group-committing concurrent producers;
	// consumers see only fsynced records. The default: nothing acknowledged is lost, even
	// when the machine loses power.
	FlushSync FlushPolicy = "sync"
	// FlushInterval fsyncs every FlushInterval; acks=all is answered after the write, so a
	// power loss can lose the last interval (a process crash loses nothing).
	FlushInterval FlushPolicy = "interval"
	// FlushNone leaves flushing to the operating system. Fastest; a power loss can lose
	// anything not yet written back.
	FlushNone FlushPolicy = "none"
)

var (
	// ErrAddrInUse is returned by Start when the Kafka address is taken.
	ErrAddrInUse = errors.New("engine: address already in use")
	// ErrAdminAddrInUse is returned by Start when the admin address is taken.
	ErrAdminAddrInUse = errors.New("engine: admin address already in use")
	// ErrSchemaRegistryAddrInUse is returned by Start when the schema registry address is
	// taken.
	ErrSchemaRegistryAddrInUse = errors.New("engine: schema registry address already in use")
)

// ErrDataDirLocked is returned by Start when another broker uses the data directory.
var ErrDataDirLocked = errors.New("engine: data directory is in use by another broker")

// Config configures a broker. The zero value is an in-memory broker on a free loopback port.
type Config struct {
	// KafkaAddr is the Kafka listener, host:port; "" means 127.0.0.1:0 (a free port).
	KafkaAddr string
	// AdvertisedAddr is the address clients are told to connect to; "" means the listener's.
	AdvertisedAddr string
	// AdminAddr is the admin HTTP listener (/metrics, /healthz, /readyz), host:port; ""
	// means 127.0.0.1:0 (a free port). `streamlite up` uses admin.DefaultAddr.
	AdminAddr string
	// DisableAdmin serves no admin HTTP listener.
	DisableAdmin bool
	// SchemaRegistryAddr is the schema registry's REST listener (Confluent's API),
	// host:port; "" means 127.0.0.1:0 (a free port). `streamlite up` uses
	// schema.DefaultAddr, 127.0.0.1:8081 (the port of Confluent Schema Registry's listeners).
	SchemaRegistryAddr string
	// DisableSchemaRegistry serves no schema registry listener. The registry's state in the
	// metadata log is kept either way.
	DisableSchemaRegistry bool
	// DataDir holds everything the broker keeps; "" keeps everything in memory.
	DataDir string
	// Flush is the flush policy; "" means FlushSync.
	Flush FlushPolicy
	// FlushInterval is the period of FlushInterval; 0 means 100 ms.
	FlushInterval time.Duration
	// DisableAutoCreate turns off auto.create.topics.enable (on by default).
	DisableAutoCreate bool
	// DefaultPartitions is num.partitions for auto-created topics; 0 means 1.
	DefaultPartitions int32
	// RetentionCheckInterval is log.retention.check.interval.ms; 0 means 10 s.
	RetentionCheckInterval time.Duration
	// MetadataSnapshotBytes is metadata.log.max.record.bytes.between.snapshots: the metadata
	// log writes a snapshot in the background once this many bytes of records were appended
	// since the last one. 0 means 4 MiB (Kafka: 20 MiB; smaller keeps start-up under 200 ms);
	// negative turns it off.
	MetadataSnapshotBytes int64
	// RemoteStorage is the object store of tiered storage, used by topics with
	// remote.storage.enable=true: "file://DIR" or "s3://bucket/prefix" (with ?endpoint=,
	// ?region= and ?path_style= for S3-compatible servers; credentials the standard AWS
	// way). "" means file://DataDir/remote. Memory mode has no tiered storage.
	RemoteStorage string
	// RemoteStorageOptions override what the RemoteStorage URL and the AWS environment say.
	RemoteStorageOptions objstore.OpenOptions
	// RemoteStorageDefault, when true, makes remote.storage.enable=true the cluster-wide
	// default of topics (the broker config log.remote.storage.enable, kept in the metadata
	// log); false leaves whatever was set before.
	RemoteStorageDefault bool
	// RemoteCacheBytes bounds the local cache of remote reads (DataDir/remote-cache); 0
	// means 256 MiB.
	RemoteCacheBytes int64
	// Logger receives the broker's logs; nil discards them.
	Logger *slog.Logger
}

// Broker is a running broker.
type Broker struct {
	cfg       Config
	logger    *slog.Logger
	clusterID string
	lock      *os.File
	meta      *meta.Log
	flusher   *log.Flusher
	cluster   *cluster.Cluster
	// remote is tiered storage's object store and remoteCache its read
	// cache; nil in memory mode.
	remote      objstore.Store
	remoteCache *tiered.Cache
	groups      *group.Coordinator
	txn         *txn.Coordinator
	server      *kafka.Server
	ln          net.Listener
	requests    *admin.RequestMetrics
	admin       *admin.Server // nil with DisableAdmin
	adminLn     net.Listener
	registry    *schema.Registry
	srServer    *http.Server // nil with DisableSchemaRegistry
	srLn        net.Listener
	ready       atomic.Bool // /readyz: set once serving, cleared when stopping

	cancel   context.CancelFunc // stops the retention loop and the ctx watcher
	wg       sync.WaitGroup
	shutOnce sync.Once
	shutErr  error
	done     chan struct{}
}

// Start opens the data directory, recovers it, and starts serving. The broker runs until
// Shutdown or Close, or until ctx is done.
func Start(ctx context.Context, cfg Config) (*Broker, error) {
	if cfg.KafkaAddr == "" {
		cfg.KafkaAddr = "127.0.0.1:0"
	}
	if cfg.Flush == "" {
		cfg.Flush = FlushSync
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = 100 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	policy, err := cfg.Flush.logPolicy()
	if err != nil {
		return nil, err
	}
	b := &Broker{cfg: cfg, logger: cfg.Logger, done: make(chan struct{})}
	ok := false
	defer func() {
		if !ok {
			b.closeStores()
		}
	}()

	// The metadata log reports each change to the cluster, once it is open, which copies it
	// into __cluster_metadata.
	var mirror atomic.Pointer[cluster.Cluster]
	metaOpts := meta.Options{
		Logger:        cfg.Logger.With("part", "meta"),
		SnapshotBytes: cfg.MetadataSnapshotBytes,
		OnAppend: func(first uint64, recs []meta.Record) {
			if c := mirror.Load(); c != nil {
				c.MetadataAppended(first, recs)
			}
		},
	}
	if cfg.DataDir == "" {
		b.meta = meta.OpenMemoryOptions(metaOpts)
		b.clusterID = newClusterID()
	} else {
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("engine: creating data dir: %w", err)
		}
		if b.lock, err = lockDir(cfg.DataDir); err != nil {
			return nil, err
		}
		if b.clusterID, err = loadClusterID(cfg.DataDir); err != nil {
			return nil, err
		}
		if b.meta, err = meta.OpenOptions(filepath.Join(cfg.DataDir, "meta"), metaOpts); err != nil {
			return nil, fmt.Errorf("engine: opening metadata log: %w", err)
		}
		b.flusher = log.NewFlusher(policy, cfg.FlushInterval, cfg.Logger.With("part", "flusher"))
	}
	var tier *cluster.TierOptions
	if cfg.DataDir != "" {
		if tier, err = b.openTier(ctx, cfg); err != nil {
			return nil, err
		}
	}
	b.cluster, err = cluster.Open(cluster.Options{
		DataDir:                cfg.DataDir,
		Meta:                   b.meta,
		Flusher:                b.flusher,
		Logger:                 cfg.Logger.With("part", "log"),
		DefaultPartitions:      cfg.DefaultPartitions,
		RetentionCheckInterval: cfg.RetentionCheckInterval,
		Tier:                   tier,
	})
	if err != nil {
		return nil, err
	}
	mirror.Store(b.cluster)
	if cfg.RemoteStorageDefault {
		if err := b.cluster.AlterBrokerConfigs(map[string]string{"log.remote.storage.enable": "true"}, nil, false, false); err != nil {
			return nil, fmt.Errorf("engine: making remote storage the default: %w", err)
		}
	}
	b.groups, err = group.New(group.Config{
		Cluster: b.cluster,
		Logger:  cfg.Logger.With("part", "group"),
	})
	if err != nil {
		return nil, fmt.Errorf("engine: starting the group coordinator: %w", err)
	}
	b.txn, err = txn.New(txn.Config{
		Cluster: b.cluster,
		Groups:  b.groups,
		Logger:  cfg.Logger.With("part", "txn"),
	})
	if err != nil {
		return nil, fmt.Errorf("engine: starting the transaction coordinator: %w", err)
	}
	b.ln, err = net.Listen("tcp", cfg.KafkaAddr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("%w: %s", ErrAddrInUse, cfg.KafkaAddr)
		}
		return nil, fmt.Errorf("engine: listening on %s: %w", cfg.KafkaAddr, err)
	}
	if !cfg.DisableAdmin {
		addr := cfg.AdminAddr
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		if b.adminLn, err = net.Listen("tcp", addr); err != nil {
			_ = b.ln.Close()
			if errors.Is(err, syscall.EADDRINUSE) {
				return nil, fmt.Errorf("%w: %s", ErrAdminAddrInUse, addr)
			}
			return nil, fmt.Errorf("engine: listening on %s: %w", addr, err)
		}
	}
	if !cfg.DisableSchemaRegistry {
		addr := cfg.SchemaRegistryAddr
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		if b.srLn, err = net.Listen("tcp", addr); err != nil {
			_ = b.ln.Close()
			if b.adminLn != nil {
				_ = b.adminLn.Close()
			}
			if errors.Is(err, syscall.EADDRINUSE) {
				return nil, fmt.Errorf("%w: %s", ErrSchemaRegistryAddrInUse, addr)
			}
			return nil, fmt.Errorf("engine: listening on %s: %w", addr, err)
		}
	}
	b.registry = schema.New(b.meta)
	b.requests = admin.NewRequestMetrics()
	b.server = kafka.NewServer(kafka.Config{
		Observer:         b.requests,
		Cluster:          b.cluster,
		Groups:           b.groups,
		Txn:              b.txn,
		Logger:           cfg.Logger.With("part", "kafka"),
		AutoCreateTopics: !cfg.DisableAutoCreate,
		AdvertisedAddr:   cfg.AdvertisedAddr,
		ClusterID:        b.clusterID,
		Schemas:          schema.NewValidator(b.registry),
	})
	ok = true

	runCtx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	if b.adminLn != nil {
		b.admin = admin.New(admin.Config{
			Ready:    b.ready.Load,
			State:    brokerState{b},
			Metadata: brokerState{b},
			Tier:     tierState(b),
			Requests: b.requests,
			Logger:   cfg.Logger.With("part", "admin"),
		})
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			if err := b.admin.Serve(b.adminLn); err != nil && !errors.Is(err, admin.ErrServerClosed) {
				b.logger.Error("admin listener stopped", "err", err)
			}
		}()
	}
	if b.srLn != nil {
		srLogger := cfg.Logger.With("part", "schema")
		b.srServer = &http.Server{
			Handler:           schema.NewHandler(b.registry, srLogger),
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          slog.NewLogLogger(srLogger.Handler(), slog.LevelWarn),
		}
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			if err := b.srServer.Serve(b.srLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				b.logger.Error("schema registry listener stopped", "err", err)
			}
		}()
	}
	b.wg.Add(4)
	go func() {
		defer b.wg.Done()
		if err := b.server.Serve(b.ln); err != nil && !errors.Is(err, kafka.ErrServerClosed) {
			b.logger.Error("kafka listener stopped", "err", err)
		}
	}()
	go func() {
		defer b.wg.Done()
		b.cluster.Run(runCtx)
	}()
	go func() {
		defer b.wg.Done()
		b.txn.Run(runCtx)
	}()
	go func() {
		defer b.wg.Done()
		select {
		case <-ctx.Done():
			go func() { _ = b.Close() }() // Close waits for this goroutine
		case <-runCtx.Done():
		}
	}()
	b.ready.Store(true)
	return b, nil
}

func (p FlushPolicy) logPolicy() (log.FlushPolicy, error) {
	switch p {
	case FlushSync:
		return log.FlushSync, nil
	case FlushInterval:
		return log.FlushInterval, nil
	case FlushNone:
		return log.FlushNone, nil
	}
	return 0, fmt.Errorf("engine: unknown flush policy %q (want sync, interval or none)", string(p))
}

// KafkaAddr is the address the Kafka listener is bound to (with the port chosen, if it was 0).
func (b *Broker) KafkaAddr() string { return b.ln.Addr().String() }

// DataDir is the data directory ("" in memory).
func (b *Broker) DataDir() string { return b.cfg.DataDir }

// ClusterID is the cluster id the broker reports.
func (b *Broker) ClusterID() string { return b.clusterID }

// Meta is the metadata log: every change of cluster state, its snapshots and its statistics.
func (b *Broker) Meta() *meta.Log { return b.meta }

// Groups is the group coordinator: groups, their members and committed offsets.
func (b *Broker) Groups() *group.Coordinator { return b.groups }

// Txn is the transaction coordinator: transactional ids and their transactions.
func (b *Broker) Txn() *txn.Coordinator { return b.txn }

// AdminAddr is the admin HTTP listener's address ("" with DisableAdmin).
func (b *Broker) AdminAddr() string {
	if b.adminLn == nil {
		return ""
	}
	return b.adminLn.Addr().String()
}

// SchemaRegistryAddr is the schema registry's REST listener address ("" with
// DisableSchemaRegistry).
func (b *Broker) SchemaRegistryAddr() string {
	if b.srLn == nil {
		return ""
	}
	return b.srLn.Addr().String()
}

// SchemaRegistry is the schema registry over the metadata log.
func (b *Broker) SchemaRegistry() *schema.Registry { return b.registry }

// FlushPolicy is the flush policy in force.
func (b *Broker) FlushPolicy() FlushPolicy { return b.cfg.Flush }

// Done is closed once the broker has shut down.
func (b *Broker) Done() <-chan struct{} { return b.done }

// Shutdown stops the broker in order: stop accepting and drop connections (clients retry),
// stop the retention loop and the transaction timeouts, stop the transaction coordinator, then
// the group coordinator, close every partition (fsyncing what is written), stop the flusher,
// close the metadata log and release the data directory. ctx bounds the wait; when it ends
// first, Shutdown returns its error while the stop goes on in the background.
func (b *Broker) Shutdown(ctx context.Context) error {
	ch := make(chan error, 1)
	go func() { ch <- b.Close() }()
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close shuts the broker down (see Shutdown) and waits for it.
func (b *Broker) Close() error {
	b.shutOnce.Do(func() {
		var errs []error
		b.ready.Store(false)
		if b.admin != nil {
			if err := b.admin.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		if b.srServer != nil {
			if err := b.srServer.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		if err := b.server.Close(); err != nil {
			errs = append(errs, err)
		}
		b.cancel()
		b.wg.Wait()
		errs = append(errs, b.closeStores())
		b.shutErr = errors.Join(errs...)
		close(b.done)
	})
	<-b.done
	return b.shutErr
}

// openTier opens tiered storage's object store and read cache.
func (b *Broker) openTier(ctx context.Context, cfg Config) (*cluster.TierOptions, error) {
	url := cfg.RemoteStorage
	if url == "" {
		url = "file://" + filepath.Join(cfg.DataDir, "remote")
	}
	store, err := objstore.Open(ctx, url, cfg.RemoteStorageOptions)
	if err != nil {
		return nil, fmt.Errorf("engine: opening remote storage: %w", err)
	}
	cache, err := tiered.NewCache(store, tiered.CacheConfig{
		Dir: filepath.Join(cfg.DataDir, "remote-cache"), MaxBytes: cfg.RemoteCacheBytes,
	}, cfg.Logger.With("part", "tiered"))
	if err != nil {
		return nil, fmt.Errorf("engine: opening the remote read cache: %w", err)
	}
	b.remote, b.remoteCache = store, cache
	return &cluster.TierOptions{Store: store, Cache: cache}, nil
}

// TierStatus reports tiered storage's state per remote-storage partition:
// local and remote bytes, upload lag, the last upload error.
func (b *Broker) TierStatus() []cluster.TierStatus { return b.cluster.TierStatus() }

// RemoteStorage is tiered storage's object store, nil in memory mode.
func (b *Broker) RemoteStorage() objstore.Store { return b.remote }

// closeStores closes what Start opened, newest first.
func (b *Broker) closeStores() error {
	var errs []error
	if b.txn != nil {
		// Before the groups and the cluster: it writes markers through both.
		errs = append(errs, b.txn.Close())
	}
	if b.groups != nil {
		// Before the cluster: group goroutines write to __consumer_offsets.
		errs = append(errs, b.groups.Close())
	}
	if b.cluster != nil {
		errs = append(errs, b.cluster.Close())
	}
	if b.remoteCache != nil {
		// After the cluster: its uploads and reads use the cache.
		errs = append(errs, b.remoteCache.Close())
	}
	if b.flusher != nil {
		errs = append(errs, b.flusher.Close())
	}
	if b.meta != nil {
		errs = append(errs, b.meta.Close())
	}
	if b.lock != nil {
		errs = append(errs, b.lock.Close()) // releases the flock
	}
	return errors.Join(errs...)
}

func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("engine: opening lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid, _ := os.ReadFile(filepath.Join(dir, ".lock"))
		f.Close()
		return nil, fmt.Errorf("%w: %s (pid %s)", ErrDataDirLocked, dir, strings.TrimSpace(string(pid)))
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return f, nil
}

func newClusterID() string {
	var id [16]byte
	_, _ = rand.Read(id[:])
	return base64.RawURLEncoding.EncodeToString(id[:])
}

func loadClusterID(dir string) (string, error) {
	path := filepath.Join(dir, "cluster.id")
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("engine: reading cluster id: %w", err)
	}
	id := newClusterID()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(id+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("engine: writing cluster id: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("engine: writing cluster id: %w", err)
	}
	return id, nil
}

// brokerState gives the admin listener the offsets its lag gauges are computed from: cheap
// in-memory snapshots, taken at each scrape.
type brokerState struct{ b *Broker }

// metadataStats is the JSON of GET /v1/metadata (streamlite meta describe).
type metadataStats struct {
	Dir                  string            `json:"dir,omitempty"`
	LastIndex            uint64            `json:"lastIndex"`
	FirstIndex           uint64            `json:"firstIndex"`
	SnapshotIndex        uint64            `json:"snapshotIndex"`
	SnapshotTime         *time.Time        `json:"snapshotTime,omitempty"`
	SnapshotSize         int64             `json:"snapshotSize"`
	BytesSinceSnapshot   int64             `json:"bytesSinceSnapshot"`
	SnapshotThreshold    int64             `json:"snapshotThreshold"`
	Topics               int               `json:"topics"`
	NextProducerID       int64             `json:"nextProducerId"`
	RecordsSinceSnapshot map[string]uint64 `json:"recordsSinceSnapshot"`
}

// MetadataStats describes the metadata log for the admin API.
func (s brokerState) MetadataStats() any {
	st := s.b.meta.Stats()
	out := metadataStats{
		Dir: st.Dir, LastIndex: st.LastIndex, FirstIndex: st.FirstIndex, SnapshotIndex: st.SnapshotIndex,
		SnapshotSize: st.SnapshotSize, BytesSinceSnapshot: st.BytesSinceSnapshot,
		SnapshotThreshold: st.SnapshotThreshold, Topics: st.Topics, NextProducerID: st.NextProducerID,
		RecordsSinceSnapshot: st.RecordsSinceSnapshot,
	}
	if !st.SnapshotTime.IsZero() {
		out.SnapshotTime = &st.SnapshotTime
	}
	return out
}

// Snapshot writes a snapshot of the metadata log on request (streamlite meta snapshot).
func (s brokerState) Snapshot() (uint64, error) { return s.b.meta.Snapshot() }

func (s brokerState) PartitionOffsets() []admin.PartitionOffsets {
	var out []admin.PartitionOffsets
	for _, t := range s.b.cluster.Topics() {
		for i, p := range t.Partitions() {
			out = append(out, admin.PartitionOffsets{
				Topic: t.Name, Partition: int32(i),
				LogStart: p.LogStartOffset(), HighWatermark: p.HighWatermark(),
			})
		}
	}
	return out
}

// tierState is b's tiered storage for the admin listener, nil in memory mode.
func tierState(b *Broker) admin.TierState {
	if b.remoteCache == nil {
		return nil
	}
	return brokerState{b}
}

func (s brokerState) TierPartitions() []admin.TierPartition {
	sts := s.b.cluster.TierStatus()
	out := make([]admin.TierPartition, len(sts))
	for i, st := range sts {
		out[i] = admin.TierPartition{
			Topic: st.Topic, Partition: st.Partition, LocalBytes: st.LocalBytes, RemoteBytes: st.RemoteBytes,
			UploadLagBytes: st.UploadLag, RemoteStart: st.RemoteStart, RemoteEnd: st.RemoteEnd, LastError: st.LastError,
		}
	}
	return out
}

func (s brokerState) TierCache() admin.TierCacheStats {
	cs := s.b.remoteCache.Stats()
	return admin.TierCacheStats{Hits: cs.Hits, Misses: cs.Misses, Evictions: cs.Evictions, Errors: cs.Errors, Bytes: cs.Bytes}
}

func (s brokerState) GroupOffsets() []admin.GroupOffset {
	cs := s.b.groups.CommittedOffsets()
	out := make([]admin.GroupOffset, len(cs))
	for i, c := range cs {
		out[i] = admin.GroupOffset{Group: c.Group, Topic: c.Topic, Partition: c.Partition, Committed: c.Offset}
	}
	return out
}

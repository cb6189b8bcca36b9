// Package enginetest runs a streamlite broker inside a Go test: New starts one on a free
// loopback port in a few milliseconds and stops it when the test ends. It is safe with
// t.Parallel(): every broker has its own port and, when durable, its own directory.
//
//	func TestOrders(t *testing.T) {
//		b := enginetest.New(t, enginetest.Topics(3, "orders"))
//		cl := b.Client()
//		// produce and consume with cl, or point your own code at b.Addr()
//	}
package enginetest

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/streamlite/streamlite/engine"
	"github.com/streamlite/streamlite/tiered/objstore"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

type options struct {
	cfg    engine.Config
	topics []seedTopic
}

type seedTopic struct {
	name       string
	partitions int32
	configs    map[string]*string
}

// Option configures New.
type Option func(*options)

// Topics creates the named topics, each with the given number of partitions, before New
// returns.
func Topics(partitions int32, names ...string) Option {
	return func(o *options) {
		for _, n := range names {
			o.topics = append(o.topics, seedTopic{name: n, partitions: partitions})
		}
	}
}

// TopicWithConfigs creates one topic with partitions and Kafka topic configs (retention.ms,
// max.message.bytes, ...) before New returns.
func TopicWithConfigs(name string, partitions int32, configs map[string]string) Option {
	return func(o *options) {
		cs := make(map[string]*string, len(configs))
		for k, v := range configs {
			cs[k] = &v
		}
		o.topics = append(o.topics, seedTopic{name: name, partitions: partitions, configs: cs})
	}
}

// DefaultPartitions sets num.partitions, the partition count of auto-created topics
// (default 1).
func DefaultPartitions(n int32) Option { return func(o *options) { o.cfg.DefaultPartitions = n } }

// AutoCreate turns auto.create.topics.enable on or off (default on).
func AutoCreate(on bool) Option { return func(o *options) { o.cfg.DisableAutoCreate = !on } }

// Durable keeps data in a directory of the test's (t.TempDir()) instead of memory, so that
// Restart keeps it.
func Durable() Option { return func(o *options) { o.cfg.DataDir = durableMarker } }

// DataDir keeps data in dir (default: in memory).
func DataDir(dir string) Option { return func(o *options) { o.cfg.DataDir = dir } }

// Flush sets the flush policy of a durable broker (default engine.FlushSync).
func Flush(p engine.FlushPolicy) Option { return func(o *options) { o.cfg.Flush = p } }

// Logger sends the broker's logs to l (default: discarded).
func Logger(l *slog.Logger) Option { return func(o *options) { o.cfg.Logger = l } }

const durableMarker = "\x00tempdir"

// Broker is a running broker bound to a test.
type Broker struct {
	t   testing.TB
	cfg engine.Config
	b   *engine.Broker
}

// New starts a broker for t and registers its shutdown with t.Cleanup. It fails the test if
// the broker cannot start.
func New(t testing.TB, opts ...Option) *Broker {
	t.Helper()
	var o options
	o.cfg.SchemaRegistryAddr = "127.0.0.1:0" // a free port, never Confluent's 8081
	for _, opt := range opts {
		opt(&o)
	}
	if o.cfg.DataDir == durableMarker {
		o.cfg.DataDir = t.TempDir()
	}
	eb, err := engine.Start(context.Background(), o.cfg)
	if err != nil {
		t.Fatalf("enginetest: starting broker: %v", err)
	}
	b := &Broker{t: t, cfg: o.cfg, b: eb}
	b.cfg.KafkaAddr = eb.KafkaAddr() // Restart comes back on the same ports
	b.cfg.SchemaRegistryAddr = eb.SchemaRegistryAddr()
	t.Cleanup(func() {
		if err := b.b.Close(); err != nil {
			t.Errorf("enginetest: stopping broker: %v", err)
		}
	})
	if len(o.topics) > 0 {
		adm := b.Admin()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, st := range o.topics {
			resp, err := adm.CreateTopic(ctx, st.partitions, 1, st.configs, st.name)
			if err == nil {
				err = resp.Err
			}
			if err != nil {
				t.Fatalf("enginetest: creating topic %s: %v", st.name, err)
			}
		}
	}
	return b
}

// Addr is the broker's Kafka address, host:port.
func (b *Broker) Addr() string { return b.b.KafkaAddr() }

// DataDir is the broker's data directory ("" in memory).
func (b *Broker) DataDir() string { return b.cfg.DataDir }

// SchemaRegistryURL is the schema registry's REST address, http://host:port.
func (b *Broker) SchemaRegistryURL() string { return "http://" + b.b.SchemaRegistryAddr() }

// Engine is the running engine.Broker.
func (b *Broker) Engine() *engine.Broker { return b.b }

// Client returns a franz-go client seeded with the broker's address and opts, closed when
// the test ends.
func (b *Broker) Client(opts ...kgo.Opt) *kgo.Client {
	b.t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(b.Addr())}, opts...)...)
	if err != nil {
		b.t.Fatalf("enginetest: new client: %v", err)
	}
	b.t.Cleanup(cl.Close)
	return cl
}

// Admin returns a kadm admin client for the broker, closed when the test ends.
func (b *Broker) Admin() *kadm.Client { return kadm.NewClient(b.Client()) }

// Restart stops the broker and starts it again on the same address with the same data
// directory, as a process restart would. Clients reconnect by themselves. It needs a durable
// broker (Durable or DataDir); an in-memory one would come back empty.
func (b *Broker) Restart() {
	b.t.Helper()
	if b.cfg.DataDir == "" {
		b.t.Fatal("enginetest: Restart needs a durable broker (enginetest.Durable())")
	}
	if err := b.b.Close(); err != nil {
		b.t.Fatalf("enginetest: stopping broker for restart: %v", err)
	}
	var err error
	for range 50 { // retried in case the old listener is slow to let go of the port
		var nb *engine.Broker
		nb, err = engine.Start(context.Background(), b.cfg)
		if err == nil {
			b.b = nb
			return
		}
		if !errors.Is(err, engine.ErrAddrInUse) && !errors.Is(err, engine.ErrSchemaRegistryAddrInUse) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.t.Fatalf("enginetest: restarting broker: %v", err)
}

// MetadataSnapshotBytes sets metadata.log.max.record.bytes.between.snapshots, so a test can make
// the metadata log snapshot often.
func MetadataSnapshotBytes(n int64) Option {
	return func(o *options) { o.cfg.MetadataSnapshotBytes = n }
}

// RemoteStorage sets tiered storage's object store ("file://DIR" or "s3://bucket/prefix")
// and options overriding its URL, for a durable broker's remote.storage.enable topics.
func RemoteStorage(url string, opts objstore.OpenOptions) Option {
	return func(o *options) { o.cfg.RemoteStorage, o.cfg.RemoteStorageOptions = url, opts }
}

// RetentionCheckInterval sets log.retention.check.interval.ms, how often retention (and
// tiered storage's remote retention) runs.
func RetentionCheckInterval(d time.Duration) Option {
	return func(o *options) { o.cfg.RetentionCheckInterval = d }
}

// RemoteStorageDefault makes remote.storage.enable=true the default of every topic (the
// broker config log.remote.storage.enable).
func RemoteStorageDefault() Option { return func(o *options) { o.cfg.RemoteStorageDefault = true } }

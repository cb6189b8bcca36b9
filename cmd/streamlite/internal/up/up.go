// Package up is `streamlite up`: start the broker in the foreground, print where everything
// is, and run until SIGINT or SIGTERM (a second signal exits at once; see main).
package up

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clientflags"
	"github.com/streamlite/streamlite/cmd/streamlite/internal/sqlcli"
	"github.com/streamlite/streamlite/engine"
	"github.com/streamlite/streamlite/engine/admin"
	"github.com/streamlite/streamlite/engine/schema"
	"github.com/streamlite/streamlite/sql/rest"
	"github.com/streamlite/streamlite/tiered/objstore"
)

// DefaultDataDir is the data directory when neither --data-dir nor STREAMLITE_DATA is set.
const DefaultDataDir = ".streamlite"

type flags struct {
	kafkaAddr         string
	adminAddr         string
	registryAddr      string
	advertisedAddr    string
	anyPort           bool
	dataDir           string
	memory            bool
	flush             string
	flushInterval     time.Duration
	autoCreate        bool
	partitions        int32
	logLevel          string
	retentionCheck    time.Duration
	metaSnapshotBytes int64
	remoteStorage     string
	s3Endpoint        string
	s3Region          string
	remoteCacheBytes  int64
	remoteDefault     bool
	sqlAddr           string
}

// NewCommand returns the `up` command.
func NewCommand() *cobra.Command {
	var f flags
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start a streamlite broker in the foreground",
		Long: `Start a streamlite broker: Kafka on 127.0.0.1:9092, a Confluent-compatible schema
registry on http://127.0.0.1:8081, data in $STREAMLITE_DATA or ./.streamlite. No flags and
no format step are needed. Every flag also reads STREAMLITE_<FLAG> from the environment
(STREAMLITE_KAFKA_ADDR, STREAMLITE_FLUSH, ...).`,
		Args: cobra.NoArgs,
		PreRunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("data-dir") {
				if v := os.Getenv("STREAMLITE_DATA"); v != "" {
					f.dataDir = v
				}
			}
			return clientflags.ApplyEnv(cmd)
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.kafkaAddr, "kafka-addr", "127.0.0.1:9092", "Kafka listener address")
	fl.StringVar(&f.adminAddr, "admin-addr", admin.DefaultAddr, "admin HTTP listener: /metrics, /healthz, /readyz")
	fl.StringVar(&f.registryAddr, "schema-registry-addr", schema.DefaultAddr, "schema registry REST listener (Confluent-compatible)")
	fl.StringVar(&f.advertisedAddr, "advertised-kafka-addr", "", "address clients are told to connect to (default: the listener's)")
	fl.BoolVar(&f.anyPort, "any-port", false, "listen on free ports instead of the defaults")
	fl.StringVar(&f.dataDir, "data-dir", DefaultDataDir, "data directory (env STREAMLITE_DATA)")
	fl.BoolVar(&f.memory, "memory", false, "keep nothing on disk")
	fl.StringVar(&f.flush, "flush", string(engine.FlushSync), "when writes reach disk: sync (fsync before acks=all is answered), interval, or none")
	fl.DurationVar(&f.flushInterval, "flush-interval", 100*time.Millisecond, "fsync period with --flush=interval")
	fl.BoolVar(&f.autoCreate, "auto-create", true, "create unknown topics when clients ask for them (auto.create.topics.enable)")
	fl.Int32Var(&f.partitions, "partitions", 1, "partitions of auto-created topics (num.partitions)")
	fl.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fl.DurationVar(&f.retentionCheck, "retention-check-interval", 10*time.Second, "how often retention is enforced (log.retention.check.interval.ms)")
	fl.Int64Var(&f.metaSnapshotBytes, "metadata-snapshot-bytes", 4<<20, "bytes of metadata records between snapshots of the metadata log (metadata.log.max.record.bytes.between.snapshots; negative: never)")
	fl.StringVar(&f.remoteStorage, "remote-storage", "", "object store of tiered storage (remote.storage.enable topics): file://DIR or s3://bucket/prefix; default file://DATA_DIR/remote")
	fl.StringVar(&f.s3Endpoint, "s3-endpoint", "", "S3 endpoint URL for an S3-compatible server (MinIO, versitygw, ...); credentials from the AWS environment")
	fl.StringVar(&f.s3Region, "s3-region", "", "S3 region (default: the AWS environment's, else us-east-1)")
	fl.BoolVar(&f.remoteDefault, "remote-storage-default", false, "make remote.storage.enable=true the default of every topic (broker config log.remote.storage.enable)")
	fl.StringVar(&f.sqlAddr, "sql-addr", rest.DefaultAddr, "SQL server REST listener (ksqlDB-compatible); \"off\" runs no SQL server")
	fl.Int64Var(&f.remoteCacheBytes, "remote-cache-bytes", 256<<20, "bytes of the local cache of tiered storage reads")
	return cmd
}

func run(cmd *cobra.Command, f flags) error {
	start := time.Now()
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return fmt.Errorf("--log-level %q: want debug, info, warn or error", f.logLevel)
	}
	logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
	cfg := engine.Config{
		KafkaAddr:              f.kafkaAddr,
		AdminAddr:              f.adminAddr,
		SchemaRegistryAddr:     f.registryAddr,
		AdvertisedAddr:         f.advertisedAddr,
		Flush:                  engine.FlushPolicy(f.flush),
		FlushInterval:          f.flushInterval,
		DisableAutoCreate:      !f.autoCreate,
		DefaultPartitions:      f.partitions,
		RetentionCheckInterval: f.retentionCheck,
		MetadataSnapshotBytes:  f.metaSnapshotBytes,
		RemoteStorage:          f.remoteStorage,
		RemoteStorageOptions:   objstore.OpenOptions{Endpoint: f.s3Endpoint, Region: f.s3Region},
		RemoteCacheBytes:       f.remoteCacheBytes,
		RemoteStorageDefault:   f.remoteDefault,
		Logger:                 logger,
	}
	if f.anyPort {
		cfg.KafkaAddr = anyPort(f.kafkaAddr)
		cfg.AdminAddr = anyPort(f.adminAddr)
		cfg.SchemaRegistryAddr = anyPort(f.registryAddr)
		if f.sqlAddr != "off" {
			f.sqlAddr = anyPort(f.sqlAddr)
		}
	}
	if !f.memory {
		dir, err := filepath.Abs(f.dataDir)
		if err != nil {
			return fmt.Errorf("data dir %q: %w", f.dataDir, err)
		}
		cfg.DataDir = dir
	}
	b, err := engine.Start(cmd.Context(), cfg)
	if errors.Is(err, engine.ErrAddrInUse) {
		return fmt.Errorf("kafka address %s is already in use: pick another with --kafka-addr, or use --any-port for free ports", cfg.KafkaAddr)
	}
	if errors.Is(err, engine.ErrAdminAddrInUse) {
		return fmt.Errorf("admin address %s is already in use: pick another with --admin-addr, or use --any-port for free ports", cfg.AdminAddr)
	}
	if errors.Is(err, engine.ErrSchemaRegistryAddrInUse) {
		return fmt.Errorf("schema registry address %s is already in use: pick another with --schema-registry-addr, or use --any-port for free ports", cfg.SchemaRegistryAddr)
	}
	if errors.Is(err, engine.ErrDataDirLocked) {
		return fmt.Errorf("%v: stop that broker or choose another --data-dir", err)
	}
	if err != nil {
		return err
	}
	// The SQL server is a client of the broker like any other; it
	// replays its catalog in the background, so start-up does not wait.
	var sql *sqlcli.Service
	if f.sqlAddr != "off" && f.sqlAddr != "" {
		sql, err = sqlcli.Serve(f.sqlAddr, []string{b.KafkaAddr()}, "default", logger.With("component", "sql"))
		if err != nil {
			_ = b.Close()
			if errors.Is(err, sqlcli.ErrSQLAddrInUse) {
				return fmt.Errorf("SQL server address %s is already in use: pick another with --sql-addr (or --sql-addr off), or use --any-port for free ports", f.sqlAddr)
			}
			return err
		}
	}
	printBanner(cmd.OutOrStdout(), b, sql, time.Since(start))

	<-cmd.Context().Done()
	fmt.Fprintln(cmd.ErrOrStderr(), "shutting down (press Ctrl-C again to exit at once)")
	if sql != nil {
		if err := sql.Close(); err != nil {
			logger.Warn("stopping the SQL server", "err", err)
		}
	}
	if err := b.Close(); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	fmt.Fprintln(cmd.ErrOrStderr(), "stopped")
	return nil
}

// anyPort keeps addr's host and asks for a free port.
func anyPort(addr string) string {
	host := "127.0.0.1"
	if i := strings.LastIndex(addr, ":"); i > 0 {
		host = addr[:i]
	}
	return host + ":0"
}

func printBanner(w io.Writer, b *engine.Broker, sql *sqlcli.Service, took time.Duration) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "streamlite")
	fmt.Fprintf(tw, "  kafka\t%s\n", b.KafkaAddr())
	fmt.Fprintf(tw, "  metrics\thttp://%s/metrics\n", b.AdminAddr())
	fmt.Fprintf(tw, "  schema registry\thttp://%s\n", b.SchemaRegistryAddr())
	if sql != nil {
		fmt.Fprintf(tw, "  sql\thttp://%s\n", sql.Addr())
	}
	if b.DataDir() == "" {
		fmt.Fprintf(tw, "  data\t(in memory: nothing is kept)\n")
	} else {
		fmt.Fprintf(tw, "  data\t%s\n", b.DataDir())
		fmt.Fprintf(tw, "  flush\t%s\n", flushNote(b.FlushPolicy()))
		fmt.Fprintf(tw, "  remote storage\t%s\n", b.RemoteStorage())
	}
	fmt.Fprintf(tw, "  cluster id\t%s\n", b.ClusterID())
	tw.Flush()
	fmt.Fprintf(w, "ready in %s: try `kcat -b %s -L`\n", took.Round(time.Millisecond), b.KafkaAddr())
}

func flushNote(p engine.FlushPolicy) string {
	switch p {
	case engine.FlushSync:
		return "sync (fsync before acks=all is answered)"
	case engine.FlushInterval:
		return "INTERVAL: acks=all is answered before fsync; a power loss can lose recent records"
	default:
		return "NONE: nothing is fsynced; a power loss can lose acknowledged records"
	}
}

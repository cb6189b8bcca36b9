package engine

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/streamlite/streamlite/engine/cluster"
	"github.com/streamlite/streamlite/engine/log"
	"github.com/streamlite/streamlite/engine/meta"
	"github.com/streamlite/streamlite/tiered"
	"github.com/streamlite/streamlite/tiered/objstore"
)

var (
	// ErrDataDirNotEmpty is returned by Restore when the data directory
	// holds anything: a restore never writes next to existing data.
	ErrDataDirNotEmpty = errors.New("engine: data directory is not empty")
	// ErrRemoteTopicNotFound is returned by Restore when a topic asked for
	// is not described in the object store.
	ErrRemoteTopicNotFound = errors.New("engine: topic not found in the remote storage")
)

// RestoreConfig configures Restore.
type RestoreConfig struct {
	// DataDir is the data directory to rebuild the topics in. It must not
	// exist or be empty. Required.
	DataDir string
	// RemoteStorage is the object store the topics were tiered to, as in
	// Config.RemoteStorage ("s3://bucket/prefix" or "file://DIR"). Required:
	// the default store of a broker lives inside its data directory.
	RemoteStorage string
	// RemoteStorageOptions override what the RemoteStorage URL and the AWS
	// environment say, as in Config.RemoteStorageOptions.
	RemoteStorageOptions objstore.OpenOptions
	// Topics names the topics to restore; empty means every topic in the
	// store.
	Topics []string
	// Logger receives what Restore does; nil discards.
	Logger *slog.Logger
}

// RestoreResult is what Restore rebuilt.
type RestoreResult struct {
	// Topics are the restored topics, by name.
	Topics []RestoredTopic
}

// RestoredTopic is one restored topic: its identity and configs as the
// metadata log now holds them, and where each partition's offsets are.
type RestoredTopic struct {
	Name string
	// ID is the topic id the store holds it under, which the restored
	// topic keeps.
	ID         [16]byte
	Partitions int32
	// Configs are the topic's explicitly set configs: the ones the store
	// recorded, with remote.storage.enable=true (added when the store's
	// copy lacked it, as for a topic tiered by a broker-wide default, since
	// without it the restored broker would not read the remote tier).
	Configs map[string]string
	// Offsets has one entry per partition, by partition number.
	Offsets []RestoredPartition
}

// RestoredPartition is where a restored partition's offsets are.
type RestoredPartition struct {
	Partition int32
	// StartOffset is the first offset the remote tier serves, -1 when it
	// holds no segment.
	StartOffset int64
	// EndOffset is the offset after the last batch in the remote tier (0
	// when nothing was ever uploaded): the local log starts here, so new
	// records continue after the remote ones and reads below it go to the
	// tier. Records that were only on the old broker's disk are not in the
	// store and are not restored.
	EndOffset int64
}

// Restore rebuilds topics, configs and data, from an object store alone
// into an empty data directory (streamlite restore). A broker started
// afterwards on the directory with the same RemoteStorage serves every
// offset the store holds.
//
// It reads each topic's description (tiered.ReadTopics) and each
// partition's manifest (tiered.OpenRemote) and never writes to the store.
// It then writes, in the data directory, a log-start-offset checkpoint at
// the tier's end offset for each partition that has one (engine/log
// recovers a partition directory holding only that file as an empty log
// starting there) and the tier's range (remote-tier.checkpoint, so the
// earliest offset is the tier's from the broker's first moment), and only
// then the topics, with the store's topic ids, partition counts and
// configs, as TopicCreated records appended to a new metadata log in one
// atomic batch. The metadata log is opened directly
// rather than through a running broker because topic creation through the
// cluster always draws a new random id, and the ids are what name the
// topics' objects in the store.
//
// The data directory must not exist or be empty (ErrDataDirNotEmpty); it
// is locked as a broker locks it while Restore writes. A topic asked for
// that the store does not describe is ErrRemoteTopicNotFound, with the
// names the store has. Both are found before anything is written. On an
// error while writing, what Restore wrote is removed, and the directory
// too if Restore made it.
//
// Stop the broker that wrote the store before starting one on the restored
// directory: two brokers must never use the same store at once.
func Restore(ctx context.Context, cfg RestoreConfig) (RestoreResult, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.DataDir == "" {
		return RestoreResult{}, errors.New("engine: restore: no data directory")
	}
	if cfg.RemoteStorage == "" {
		return RestoreResult{}, errors.New("engine: restore: no remote storage URL to restore from")
	}
	existed, err := checkEmptyDir(cfg.DataDir, "")
	if err != nil {
		return RestoreResult{}, err
	}
	plan, err := planRestore(ctx, cfg)
	if err != nil {
		return RestoreResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return RestoreResult{}, fmt.Errorf("engine: restore: %w", err)
	}
	if err := writeRestore(cfg, plan, existed); err != nil {
		return RestoreResult{}, err
	}
	for _, t := range plan {
		cfg.Logger.Info("topic restored", "topic", t.Name, "id", hex.EncodeToString(t.ID[:]), "partitions", t.Partitions)
	}
	return RestoreResult{Topics: plan}, nil
}

// checkEmptyDir returns whether dir exists, and an error wrapping
// ErrDataDirNotEmpty if it holds any entry but ignore.
func checkEmptyDir(dir, ignore string) (bool, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("engine: restore: reading data directory: %w", err)
	}
	var names []string
	for _, e := range ents {
		if e.Name() != ignore {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return true, nil
	}
	shown := names
	if len(shown) > 5 {
		shown = append(slices.Clone(shown[:5]), fmt.Sprintf("and %d more", len(names)-5))
	}
	return true, fmt.Errorf("%w: %s holds %s; restore writes only into an empty or new directory, so existing data is never touched",
		ErrDataDirNotEmpty, dir, strings.Join(shown, ", "))
}

// planRestore reads the topics to restore and their partitions' offsets
// from the store, writing nothing anywhere.
func planRestore(ctx context.Context, cfg RestoreConfig) ([]RestoredTopic, error) {
	if dir, ok := strings.CutPrefix(cfg.RemoteStorage, "file://"); ok && dir != "" {
		// objstore.Open creates a missing directory; a restore from one is
		// a typo, not an empty store.
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("engine: restore: remote storage %s: no such directory", cfg.RemoteStorage)
		}
	}
	st, err := objstore.Open(ctx, cfg.RemoteStorage, cfg.RemoteStorageOptions)
	if err != nil {
		return nil, fmt.Errorf("engine: restore: opening remote storage: %w", err)
	}
	store := readOnlyStore{st}
	infos, err := tiered.ReadTopics(ctx, store)
	if err != nil {
		return nil, fmt.Errorf("engine: restore: reading topics from %s: %w", st, err)
	}
	chosen, err := chooseTopics(infos, cfg.Topics, st.String())
	if err != nil {
		return nil, err
	}
	out := make([]RestoredTopic, 0, len(chosen))
	for _, info := range chosen {
		t, err := planTopic(ctx, store, info, cfg.Logger)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// chooseTopics picks the topics named in want (all when empty) from the
// store's, refusing unknown names and names the store holds twice.
func chooseTopics(infos []tiered.TopicInfo, want []string, store string) ([]tiered.TopicInfo, error) {
	byName := map[string][]tiered.TopicInfo{}
	var names []string
	for _, t := range infos {
		if len(byName[t.Name]) == 0 {
			names = append(names, t.Name)
		}
		byName[t.Name] = append(byName[t.Name], t)
	}
	held := "it holds no topics"
	if len(names) > 0 {
		held = "it holds " + strings.Join(names, ", ")
	}
	if len(want) == 0 {
		if len(names) == 0 {
			return nil, fmt.Errorf("%w: %s describes no topic (no topics/*/topic.json): check the bucket and prefix", ErrRemoteTopicNotFound, store)
		}
		want = names
	}
	var missing []string
	var out []tiered.TopicInfo
	seen := map[string]bool{}
	for _, name := range want {
		if seen[name] {
			continue
		}
		seen[name] = true
		ts := byName[name]
		switch len(ts) {
		case 0:
			missing = append(missing, strconv.Quote(name))
		case 1:
			out = append(out, ts[0])
		default:
			ids := make([]string, len(ts))
			for i, t := range ts {
				ids[i] = hex.EncodeToString(t.ID[:])
			}
			return nil, fmt.Errorf("engine: restore: %s describes %d topics named %s (ids %s), a deleted one whose removal from the store was interrupted among them; delete the stale topics/%s-<id>/topic.json from the store first",
				store, len(ts), name, strings.Join(ids, ", "), name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: %s not in %s (%s)", ErrRemoteTopicNotFound, strings.Join(missing, ", "), store, held)
	}
	slices.SortFunc(out, func(a, b tiered.TopicInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// planTopic checks a topic's description and reads its partitions' tiers.
func planTopic(ctx context.Context, store objstore.Store, info tiered.TopicInfo, logger *slog.Logger) (RestoredTopic, error) {
	if err := cluster.ValidateTopicName(info.Name); err != nil || info.Name == cluster.MetadataTopic {
		return RestoredTopic{}, fmt.Errorf("engine: restore: the store describes a topic named %q, which cannot be created", info.Name)
	}
	cfgs := maps.Clone(info.Configs)
	if cfgs == nil {
		cfgs = map[string]string{}
	}
	for _, k := range slices.Sorted(maps.Keys(cfgs)) {
		if err := cluster.ValidateTopicConfig(k, cfgs[k]); err != nil {
			return RestoredTopic{}, fmt.Errorf("engine: restore: topic %s: %w", info.Name, err)
		}
	}
	if v := cfgs["remote.storage.enable"]; v != "true" {
		logger.Info("restore: setting remote.storage.enable=true on the topic, so the broker reads its remote tier",
			"topic", info.Name, "was", v)
		cfgs["remote.storage.enable"] = "true"
	}
	t := RestoredTopic{Name: info.Name, ID: info.ID, Partitions: info.Partitions, Configs: cfgs,
		Offsets: make([]RestoredPartition, info.Partitions)}
	// OpenRemote's clean-up of objects the manifest does not list goes to
	// the read-only store, which keeps them: the broker that opens the
	// tier later owns that clean-up (and logs it).
	quiet := slog.New(slog.DiscardHandler)
	for p := range info.Partitions {
		ref := tiered.PartitionRef{Topic: info.Name, TopicID: info.ID, Partition: p}
		r, err := tiered.OpenRemote(ctx, store, ref, nil, quiet)
		if err != nil {
			return RestoredTopic{}, fmt.Errorf("engine: restore: topic %s partition %d: %w", info.Name, p, err)
		}
		t.Offsets[p] = RestoredPartition{Partition: p, StartOffset: r.StartOffset(), EndOffset: max(r.EndOffset(), 0)}
	}
	return t, nil
}

// writeRestore writes the planned topics into cfg.DataDir: the partitions'
// log start checkpoints, then the metadata log. existed says whether the
// directory was there (empty) before; on error everything written is
// removed, the directory too if Restore made it.
func writeRestore(cfg RestoreConfig, plan []RestoredTopic, existed bool) (err error) {
	dir := cfg.DataDir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("engine: restore: creating data directory: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return fmt.Errorf("engine: restore: %w", err)
	}
	defer lock.Close() // releases the flock
	// Checked again under the lock: something may have been written to
	// the directory since the first look. Then it is not ours to clean.
	if _, err := checkEmptyDir(dir, ".lock"); err != nil {
		return err
	}
	defer func() {
		if err == nil {
			return
		}
		if !existed {
			_ = os.RemoveAll(dir)
			return
		}
		for _, name := range []string{"meta", "topics", ".lock"} {
			_ = os.RemoveAll(filepath.Join(dir, name))
		}
	}()

	// The checkpoints first: a crash before the metadata records leaves
	// directories no topic owns, which a broker removes, never a topic
	// whose local log starts at 0 below its remote tier.
	topicsDir := filepath.Join(dir, "topics")
	var synced []string
	for _, t := range plan {
		tdir := filepath.Join(topicsDir, cluster.TopicDirName(t.Name, t.ID))
		for _, p := range t.Offsets {
			if p.EndOffset <= 0 {
				continue // engine/log starts an absent partition directory at 0
			}
			if err = log.PrepareRemoteOnly(cluster.PartitionDir(dir, t.Name, t.ID, p.Partition), p.StartOffset, p.EndOffset); err != nil {
				return fmt.Errorf("engine: restore: topic %s partition %d: %w", t.Name, p.Partition, err)
			}
			if len(synced) == 0 || synced[len(synced)-1] != tdir {
				synced = append(synced, tdir)
			}
		}
	}
	if len(synced) > 0 {
		synced = append(synced, topicsDir)
	}
	for _, d := range append(synced, dir) {
		if err = syncDirectory(d); err != nil {
			return fmt.Errorf("engine: restore: syncing %s: %w", d, err)
		}
	}

	ml, err := meta.OpenOptions(filepath.Join(dir, "meta"), meta.Options{
		Logger: cfg.Logger.With("part", "meta"), SnapshotBytes: -1,
	})
	if err != nil {
		return fmt.Errorf("engine: restore: creating the metadata log: %w", err)
	}
	recs := make([]meta.Record, len(plan))
	for i, t := range plan {
		recs[i] = meta.TopicCreated{Name: t.Name, ID: t.ID, Partitions: t.Partitions, Configs: t.Configs}
	}
	err = ml.Append(recs...)
	if cerr := ml.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("engine: restore: recording the topics in the metadata log: %w", err)
	}
	return nil
}

// syncDirectory fsyncs a directory so the entries made in it are durable.
func syncDirectory(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// errReadOnly is what readOnlyStore's Put returns.
var errReadOnly = errors.New("engine: restore never writes to the remote storage")

// readOnlyStore is a Store that reads and never changes the store it
// wraps: Put fails and Delete does nothing. Restore reads the tiers
// through it, so the store stays exactly as the broker that wrote it left
// it; a broker that still uses it is not disturbed (OpenRemote would
// otherwise delete the objects of that broker's uploads in flight).
type readOnlyStore struct{ objstore.Store }

var _ objstore.Store = readOnlyStore{}

func (readOnlyStore) Put(context.Context, string, io.ReadSeeker, int64) error { return errReadOnly }

func (readOnlyStore) Delete(context.Context, ...string) error { return nil }

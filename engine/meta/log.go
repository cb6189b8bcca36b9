package meta

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/wal"
)

const (
	// segmentSize is the wal's target segment file size. Metadata records
	// are a few hundred bytes; 4 MiB keeps a segment quick to load, and
	// bounds what a truncation after a snapshot rewrites.
	segmentSize = 4 << 20
	// defaultSnapshotBytes is metadata.log.max.record.bytes.between.snapshots
	// here: 4 MiB, not Kafka's 20 MiB. Replay costs about 3 µs per record
	// (about 90 bytes each), so 4 MiB after the newest snapshot keeps the
	// worst-case start near 130 ms, within the under-200 ms promise;
	// 20 MiB would be about 650 ms.
	defaultSnapshotBytes = 4 << 20
	// snapshotRetry is how long the background snapshotter waits after a
	// failed snapshot before it tries again.
	snapshotRetry = 5 * time.Second
)

// Options configure OpenOptions and OpenMemoryOptions; zero values take
// the defaults.
type Options struct {
	// Logger receives repairs (Warn) and background snapshot failures
	// (Warn). Nil means slog.Default().
	Logger *slog.Logger
	// SnapshotBytes is Kafka's metadata.log.max.record.bytes.between.snapshots:
	// once this many bytes of entries were appended since the newest
	// snapshot, one is written in the background. 0 means 4 MiB (not
	// Kafka's 20 MiB, to keep start-up fast: see defaultSnapshotBytes);
	// negative turns automatic snapshots off (Snapshot still works).
	// Ignored by a memory log.
	SnapshotBytes int64
	// OnAppend, if set, is called after every successful Append and
	// AllocateProducerIDs with the index of the first record and the
	// records as stored (zero topic ids filled in), while the append lock
	// is held: calls come in index order, one at a time, and the next
	// Append waits for the call to return. It must not call the Log's
	// append methods (Append, AllocateProducerIDs, Snapshot, Close), and it
	// must not modify the records' maps or slices, which the state shares.
	// The slice itself is the callee's to keep.
	OnAppend func(first uint64, recs []Record)

	// hook, set only by tests, is called at named steps of Snapshot; an
	// error stops Snapshot right there, leaving the files as a crash
	// would.
	hook func(step string) error
}

// Log is the metadata log and its replayed state. Create it with Open,
// OpenOptions, OpenMemory or OpenMemoryOptions.
//
// Lock order: snapMu, then mu, then stats; tidwall/wal's own lock, taken
// inside its calls, is innermost (WriteBatch and TruncateFront are called
// under mu, Read under readMu alone: tidwall/wal's Read caches segments
// under a shared lock, so two concurrent Reads race). Reads of the state
// take no lock. OnAppend runs under mu; ReadRecords' fn under none.
type Log struct {
	dir       string // "" in memory mode
	logger    *slog.Logger
	repairs   []Repair // what Open cut or rebuilt; read-only after Open
	onAppend  func(first uint64, recs []Record)
	snapBytes int64 // automatic snapshot threshold; < 0 off
	hook      func(step string) error

	// readMu serializes wal reads (see the lock order).
	readMu sync.Mutex

	// wal is set by Open and never changed (nil in memory mode);
	// tidwall/wal is safe for concurrent use on its own.
	wal *wal.Log

	// state is the current state; a published *state is never modified.
	state atomic.Pointer[state]
	// snapIndex is the newest durable snapshot's index, 0 if none.
	snapIndex atomic.Uint64
	// closed is set by Close (under mu), for readers that take no lock.
	closed atomic.Bool
	// memRecs holds every record of a memory log, index i at [i-1]. A
	// published slice's elements are never written: Append writes past
	// its length and publishes a longer slice.
	memRecs atomic.Pointer[[]Record]

	// snapMu serializes Snapshot calls with each other and with Close. It
	// is held while a snapshot is encoded and written, which Append never
	// waits for.
	snapMu sync.Mutex

	// mu serializes Append, AllocateProducerIDs, a snapshot's wal
	// truncation, and Close. It is held across the write and its fsyncs;
	// readers never take it.
	mu struct {
		sync.Mutex
		closed bool
		failed error // first write error; Append refuses after it
		buf    []byte
	}

	// stats holds the counters behind Stats and the automatic snapshot
	// trigger. Append publishes a new state and adds to appended under
	// this lock, so a snapshot reads a state and the counters that match
	// it.
	stats struct {
		sync.Mutex
		appended tally // since Open, including the records Open replayed
		atSnap   tally // appended as of the newest snapshot's state
		snap     snapInfo
	}

	// The background snapshotter (disk logs with automatic snapshots on):
	// Append sends on kick once enough bytes are appended; Close closes
	// stop and waits for done. done is closed at once when there is no
	// snapshotter.
	kick     chan struct{}
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

// Open opens (creating if needed) the metadata log in dir and replays it:
// OpenOptions(dir, Options{Logger: logger}).
func Open(dir string, logger *slog.Logger) (*Log, error) {
	return OpenOptions(dir, Options{Logger: logger})
}

// OpenOptions opens (creating if needed) the metadata log in dir: it
// loads the newest valid snapshot and replays the wal entries after it.
// A torn or damaged tail is cut, logged at Warn and listed by Repairs;
// a damaged snapshot is skipped for the next older one (logged at Warn);
// files left by a crash during a snapshot are removed (logged at Warn),
// and a truncation the crash interrupted is finished. Damage before the
// tail, or a wal that starts after the snapshot's index (records missing),
// fails Open with ErrCorrupt; records or a snapshot from a newer version
// fail it with ErrNewerVersion or ErrUnknownRecord. With automatic
// snapshots on, Open starts the background snapshotter, which Close stops.
func OpenOptions(dir string, o Options) (*Log, error) {
	return open(dir, o, segmentSize)
}

// open is OpenOptions with a segment size, so tests can span segments.
func open(dir string, o Options, segSize int) (*Log, error) {
	l := newLog(o)
	l.dir = dir
	if err := makeDir(dir); err != nil {
		return nil, err
	}
	if err := removeTemps(dir, l.logger); err != nil {
		return nil, err
	}
	ld, err := loadSnapshot(dir, l.logger)
	if err != nil {
		return nil, err
	}
	w, repairs, err := openWAL(dir, l.logger, segSize)
	if err != nil {
		return nil, err
	}
	w, st, cnt, cut, err := recoverWAL(w, dir, segSize, l.logger, ld)
	if err == nil {
		repairs = append(repairs, cut...)
		// wal.Open may have created the first segment, or renamed files
		// left by a truncation; recovery may have truncated.
		err = syncDir(dir)
	}
	if err == nil {
		// Only now, with the state rebuilt, are damaged newer snapshots
		// known to be unneeded; older ones beyond snapKeep go too.
		err = removeSnapshots(dir, ld.bad)
		if err == nil {
			err = pruneSnapshots(dir)
		}
	}
	if err != nil {
		if w != nil {
			w.Close()
		}
		return nil, err
	}
	l.repairs = repairs
	l.wal = w
	l.state.Store(st)
	l.stats.appended = cnt
	if ld.st != nil {
		l.snapIndex.Store(ld.info.index)
		l.stats.snap = ld.info
	}
	if l.snapBytes >= 0 {
		l.kick = make(chan struct{}, 1)
		l.done = make(chan struct{})
		go l.snapshotLoop()
		if cnt.bytes >= l.snapBytes {
			l.kick <- struct{}{}
		}
	}
	return l, nil
}

// newLog returns a Log with o's settings, no wal, no snapshotter.
func newLog(o Options) *Log {
	l := &Log{
		logger:    o.Logger,
		onAppend:  o.OnAppend,
		snapBytes: o.SnapshotBytes,
		hook:      o.hook,
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	close(l.done)
	if l.logger == nil {
		l.logger = slog.Default()
	}
	if l.snapBytes == 0 {
		l.snapBytes = defaultSnapshotBytes
	}
	return l
}

// OpenMemory returns a log that keeps nothing on disk (--memory mode):
// OpenMemoryOptions(Options{}).
func OpenMemory() *Log { return OpenMemoryOptions(Options{}) }

// OpenMemoryOptions returns a log that keeps nothing on disk (--memory
// mode). Append validates and applies exactly as for a log on disk, and
// calls o.OnAppend the same way; every record stays readable with
// ReadRecords. It has no snapshots: Snapshot returns ErrMemoryLog.
func OpenMemoryOptions(o Options) *Log {
	l := newLog(o)
	l.snapBytes = -1
	l.state.Store(newState())
	l.memRecs.Store(new([]Record))
	return l
}

// Append validates recs in order against the current state (each record
// sees the ones before it), writes them as one batch, fsyncs, and applies
// them. All or nothing: on any error the state and the log are unchanged
// (after an I/O error the disk may hold part of the batch; the log then
// refuses appends with ErrLogFailed and the next Open cuts it). Errors:
// ErrTopicExists, ErrUnknownTopic, ErrInvalidPartitions, ErrInvalidRecord,
// ErrClosed, ErrLogFailed, or a wrapped I/O error. Appending no records
// does nothing. Append never waits for a snapshot to be written; it may
// wait for the wal truncation that follows one.
func (l *Log) Append(recs ...Record) error {
	if len(recs) == 0 {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.appendLocked(recs)
}

// AllocateProducerIDs hands out n producer ids and returns the first: ids
// first .. first+n-1 are the caller's. It appends a ProducerIDBlock, so the
// ids are never handed out again, also after a restart.
func (l *Log) AllocateProducerIDs(n int64) (first int64, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	first = l.state.Load().nextProducerID
	if n <= 0 || first > math.MaxInt64-n {
		return 0, fmt.Errorf("%w: cannot allocate %d producer ids above %d", ErrInvalidRecord, n, first)
	}
	if err := l.appendLocked([]Record{ProducerIDBlock{Next: first + n}}); err != nil {
		return 0, err
	}
	return first, nil
}

func (l *Log) appendLocked(recs []Record) error {
	switch {
	case l.mu.closed:
		return ErrClosed
	case l.mu.failed != nil:
		return fmt.Errorf("%w: %w", ErrLogFailed, l.mu.failed)
	}
	cur := l.state.Load()
	next := cur.clone()
	stored := make([]Record, len(recs))
	for i, r := range recs {
		s, err := next.apply(r)
		if err != nil {
			if len(recs) > 1 {
				return fmt.Errorf("%w (record %d of %d)", err, i+1, len(recs))
			}
			return err
		}
		stored[i] = s
	}
	first := cur.lastIndex + 1
	var sizes []int
	if l.wal != nil {
		var b wal.Batch
		sizes = make([]int, len(stored))
		for i, r := range stored {
			var err error
			l.mu.buf, err = appendEntry(l.mu.buf[:0], r, i, len(stored)-1-i)
			if err != nil {
				return err
			}
			sizes[i] = len(l.mu.buf)
			b.Write(first+uint64(i), l.mu.buf)
		}
		if err := l.wal.WriteBatch(&b); err != nil {
			l.mu.failed = err
			return fmt.Errorf("meta: appending %d records to %s: %w", len(stored), l.dir, err)
		}
		// The wal never fsyncs the directory, and the batch may have
		// started a new segment file.
		if err := syncDir(l.dir); err != nil {
			l.mu.failed = err
			return err
		}
	} else {
		// Written past the published length, then published: readers of
		// the old slice never see these elements change.
		recs := append(*l.memRecs.Load(), stored...)
		l.memRecs.Store(&recs)
	}
	next.lastIndex = cur.lastIndex + uint64(len(stored))

	l.stats.Lock()
	l.state.Store(next)
	for i, r := range stored {
		n := 0
		if sizes != nil {
			n = sizes[i]
		}
		l.stats.appended.add(r.Type(), n)
	}
	due := l.kick != nil && l.stats.appended.bytes-l.stats.atSnap.bytes >= l.snapBytes
	l.stats.Unlock()

	if due {
		select {
		case l.kick <- struct{}{}:
		default: // a kick is pending already
		}
	}
	if l.onAppend != nil {
		l.onAppend(first, stored)
	}
	return nil
}

// Topic returns a copy of the named topic, and whether it exists.
func (l *Log) Topic(name string) (Topic, bool) {
	t, ok := l.state.Load().topics.Get(name)
	return t.clone(), ok
}

// Topics returns copies of all topics, sorted by name.
func (l *Log) Topics() []Topic { return l.state.Load().topicsSorted() }

// NextProducerID returns the end of the highest producer id block handed
// out so far: every id below it is taken. 0 if none was.
func (l *Log) NextProducerID() int64 { return l.state.Load().nextProducerID }

// BrokerConfigs returns a copy of the cluster-wide broker config
// overrides, by their broker names; nil when none are set.
func (l *Log) BrokerConfigs() map[string]string {
	return maps.Clone(l.state.Load().brokerConfigs)
}

// LastIndex returns the index of the last applied record; 0 for an empty
// log. Indexes start at 1 and have no gaps.
func (l *Log) LastIndex() uint64 { return l.state.Load().lastIndex }

// SnapshotIndex returns the index the newest snapshot covers (every record
// through it); 0 if there is none. Always 0 for a memory log.
func (l *Log) SnapshotIndex() uint64 { return l.snapIndex.Load() }

// FirstIndex returns the first index still readable as a record with
// ReadRecords: SnapshotIndex()+1, which is 1 without snapshots. It may be
// LastIndex()+1, when a snapshot covers every record.
func (l *Log) FirstIndex() uint64 { return l.snapIndex.Load() + 1 }

// Repairs returns what Open cut from the log's tail (or rebuilt), in
// order; nil when it was intact. Always nil for a memory log.
func (l *Log) Repairs() []Repair { return slices.Clone(l.repairs) }

// ReadRecords calls fn with each record from index max(from, FirstIndex())
// through LastIndex() (as of the call), in order, until fn returns false.
// Records dropped by a snapshot are not readable: if a snapshot drops
// records while ReadRecords runs, it goes on at the new FirstIndex, and
// the index passed to fn shows the gap. ReadRecords holds no lock while
// fn runs; fn must not modify r's maps or slices, which a memory log
// shares with its state. A disk log reads the wal (a memory log keeps
// every record in memory), so after Close it returns ErrClosed; a memory
// log keeps answering. Other errors are wrapped I/O errors, or
// ErrCorrupt.
func (l *Log) ReadRecords(from uint64, fn func(index uint64, r Record) bool) error {
	last := l.LastIndex()
	if l.wal == nil {
		recs := *l.memRecs.Load()
		for i := max(from, 1); i <= last && i <= uint64(len(recs)); i++ {
			if !fn(i, recs[i-1]) {
				return nil
			}
		}
		return nil
	}
	if l.closed.Load() {
		return ErrClosed
	}
	for i := max(from, l.FirstIndex()); i <= last; i++ {
		l.readMu.Lock()
		e, err := readEntry(l.wal, i)
		l.readMu.Unlock()
		if errors.Is(err, wal.ErrNotFound) {
			// The snapshot's index is published before its truncation,
			// so a record gone from the wal is below FirstIndex now.
			if f := l.FirstIndex(); f > i {
				i = f - 1
				continue
			}
		}
		if errors.Is(err, wal.ErrClosed) {
			return ErrClosed
		}
		if err != nil {
			return fmt.Errorf("meta: reading record %d in %s: %w", i, l.dir, err)
		}
		if !fn(i, e.rec) {
			return nil
		}
	}
	return nil
}

// Close stops the background snapshotter (waiting for a snapshot in
// progress) and closes the log's files. Reads of the state keep answering
// from memory; Append and Snapshot return ErrClosed. Closing twice returns
// ErrClosed.
func (l *Log) Close() error {
	// Shutdown order: stop the snapshotter and wait for it (it takes
	// snapMu and mu, so neither may be held here); wait for a Snapshot
	// called by someone else (snapMu); then refuse appends and close the
	// wal (mu).
	l.stopOnce.Do(func() { close(l.stop) })
	<-l.done
	l.snapMu.Lock()
	defer l.snapMu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mu.closed {
		return ErrClosed
	}
	l.mu.closed = true
	l.closed.Store(true)
	if l.wal == nil {
		return nil
	}
	if err := l.wal.Close(); err != nil {
		return fmt.Errorf("meta: closing log in %s: %w", l.dir, err)
	}
	return nil
}

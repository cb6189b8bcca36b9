package meta

import (
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/tidwall/wal"
)

// segmentSize is the wal's target segment file size. Metadata records are
// a few hundred bytes; 4 MiB keeps a segment quick to load.
const segmentSize = 4 << 20

// Log is the metadata log and its replayed state. Create it with Open or
// OpenMemory.
type Log struct {
	dir     string // "" in memory mode
	logger  *slog.Logger
	repairs []Repair // what Open cut; read-only after Open

	// state is the current state; a published *state is never modified.
	state atomic.Pointer[state]

	// mu serializes Append, AllocateProducerIDs and Close. It is held
	// across the write and its fsyncs; readers never take it.
	mu struct {
		sync.Mutex
		wal    *wal.Log // nil in memory mode
		closed bool
		failed error // first write error; Append refuses after it
		buf    []byte
	}
}

// Open opens (creating if needed) the metadata log in dir and replays it.
// A torn or damaged tail is cut, logged at Warn and listed by Repairs;
// damage before the tail fails Open with ErrCorrupt, and records from a
// newer version fail it with ErrNewerVersion or ErrUnknownRecord. A nil
// logger means slog.Default().
func Open(dir string, logger *slog.Logger) (*Log, error) {
	return open(dir, logger, segmentSize)
}

// open is Open with a segment size, so tests can span segments.
func open(dir string, logger *slog.Logger, segSize int) (*Log, error) {
	if logger == nil {
		logger = slog.Default()
	}
	if err := makeDir(dir); err != nil {
		return nil, err
	}
	w, repairs, err := openWAL(dir, logger, segSize)
	if err != nil {
		return nil, err
	}
	st, cut, err := replay(w, dir, logger)
	if err == nil {
		// wal.Open may have created the first segment, or renamed files
		// left by a truncation; replay may have truncated.
		err = syncDir(dir)
	}
	if err != nil {
		w.Close()
		return nil, err
	}
	l := &Log{dir: dir, logger: logger, repairs: append(repairs, cut...)}
	l.mu.wal = w
	l.state.Store(st)
	return l, nil
}

// OpenMemory returns a log that keeps nothing on disk (--memory mode).
// Append validates and applies exactly as for a log on disk.
func OpenMemory() *Log {
	l := &Log{logger: slog.Default()}
	l.state.Store(newState())
	return l
}

// Append validates recs in order against the current state (each record
// sees the ones before it), writes them as one batch, fsyncs, and applies
// them. All or nothing: on any error the state and the log are unchanged
// (after an I/O error the disk may hold part of the batch; the log then
// refuses appends with ErrLogFailed and the next Open cuts it). Errors:
// ErrTopicExists, ErrUnknownTopic, ErrInvalidPartitions, ErrInvalidRecord,
// ErrClosed, ErrLogFailed, or a wrapped I/O error. Appending no records
// does nothing.
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
	if w := l.mu.wal; w != nil {
		var b wal.Batch
		for i, r := range stored {
			var err error
			l.mu.buf, err = appendEntry(l.mu.buf[:0], r, i, len(stored)-1-i)
			if err != nil {
				return err
			}
			b.Write(cur.lastIndex+1+uint64(i), l.mu.buf)
		}
		if err := w.WriteBatch(&b); err != nil {
			l.mu.failed = err
			return fmt.Errorf("meta: appending %d records to %s: %w", len(stored), l.dir, err)
		}
		// The wal never fsyncs the directory, and the batch may have
		// started a new segment file.
		if err := syncDir(l.dir); err != nil {
			l.mu.failed = err
			return err
		}
	}
	next.lastIndex = cur.lastIndex + uint64(len(stored))
	l.state.Store(next)
	return nil
}

// Topic returns a copy of the named topic, and whether it exists.
func (l *Log) Topic(name string) (Topic, bool) {
	t, ok := l.state.Load().topics[name]
	return t.clone(), ok
}

// Topics returns copies of all topics, sorted by name.
func (l *Log) Topics() []Topic { return l.state.Load().topicsSorted() }

// NextProducerID returns the end of the highest producer id block handed
// out so far: every id below it is taken. 0 if none was.
func (l *Log) NextProducerID() int64 { return l.state.Load().nextProducerID }

// LastIndex returns the index of the last applied record; 0 for an empty
// log. Indexes start at 1 and have no gaps.
func (l *Log) LastIndex() uint64 { return l.state.Load().lastIndex }

// Repairs returns what Open cut from the log's tail, in order; nil when it
// was intact. Always nil for a memory log.
func (l *Log) Repairs() []Repair { return slices.Clone(l.repairs) }

// Close closes the log's files. Reads keep answering from memory; Append
// returns ErrClosed. Closing twice returns ErrClosed.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mu.closed {
		return ErrClosed
	}
	l.mu.closed = true
	if l.mu.wal == nil {
		return nil
	}
	if err := l.mu.wal.Close(); err != nil {
		return fmt.Errorf("meta: closing log in %s: %w", l.dir, err)
	}
	return nil
}

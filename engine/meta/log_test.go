package meta

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// variant is one way to get a Log; every semantic test runs on each.
type variant struct {
	name string
	open func(t *testing.T) *Log
	// reopen closes l and opens it again; nil when the variant cannot.
	reopen func(t *testing.T, l *Log) *Log
}

func variants() []variant {
	return []variant{
		{
			name: "memory",
			open: func(*testing.T) *Log { return OpenMemory() },
		},
		{
			name: "disk",
			open: func(t *testing.T) *Log {
				l, err := Open(filepath.Join(t.TempDir(), "meta"), quiet())
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { l.Close() })
				return l
			},
			reopen: func(t *testing.T, l *Log) *Log {
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}
				l2, err := Open(l.dir, quiet())
				if err != nil {
					t.Fatal(err)
				}
				if r := l2.Repairs(); r != nil {
					t.Fatalf("clean reopen repaired %+v", r)
				}
				t.Cleanup(func() { l2.Close() })
				return l2
			},
		},
		{
			// Every reopen starts from a snapshot of everything so far.
			name: "disk-snapshot",
			open: func(t *testing.T) *Log {
				return openOpts(t, filepath.Join(t.TempDir(), "meta"), Options{SnapshotBytes: -1}, segmentSize)
			},
			reopen: func(t *testing.T, l *Log) *Log {
				if _, err := l.Snapshot(); err != nil {
					t.Fatal(err)
				}
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}
				l2 := openOpts(t, l.dir, Options{SnapshotBytes: -1}, segmentSize)
				if r := l2.Repairs(); r != nil {
					t.Fatalf("clean reopen repaired %+v", r)
				}
				if l2.SnapshotIndex() != l2.LastIndex() {
					t.Fatalf("snapshot %d, last %d", l2.SnapshotIndex(), l2.LastIndex())
				}
				return l2
			},
		},
	}
}

func forEachVariant(t *testing.T, fn func(t *testing.T, v variant)) {
	for _, v := range variants() {
		t.Run(v.name, func(t *testing.T) { fn(t, v) })
	}
}

// view is everything a Log answers, for comparisons.
type view struct {
	Topics  []Topic
	NextPID int64
	Last    uint64
	Broker  map[string]string // broker config overrides
}

func viewOf(l *Log) view {
	return view{l.Topics(), l.NextProducerID(), l.LastIndex(), l.BrokerConfigs()}
}

func mustAppend(t *testing.T, l *Log, recs ...Record) {
	t.Helper()
	if err := l.Append(recs...); err != nil {
		t.Fatalf("Append(%+v): %v", recs, err)
	}
}

func TestRoundTrip(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v variant) {
		l := v.open(t)
		if got := viewOf(l); got.Last != 0 || got.NextPID != 0 || len(got.Topics) != 0 {
			t.Fatalf("new log: %+v", got)
		}
		mustAppend(t, l, sampleRecords()...) // all types in one batch
		mustAppend(t, l,
			TopicCreated{Name: "b", ID: id(2), Partitions: 1},
			TopicCreated{Name: "a", ID: id(3), Partitions: 2, Configs: map[string]string{"retention.ms": "1"}},
		)
		mustAppend(t, l, PartitionsAdded{Name: "a", Total: 4})
		mustAppend(t, l, ConfigChanged{Name: "b", Set: map[string]string{"cleanup.policy": "compact"}})
		mustAppend(t, l, ConfigChanged{Name: "a", Delete: []string{"retention.ms", "not.set"}})
		mustAppend(t, l, ProducerIDBlock{Next: 2000})
		mustAppend(t, l, BrokerConfigChanged{Set: map[string]string{"log.segment.bytes": "1048576", "message.max.bytes": "2048"}})
		mustAppend(t, l, BrokerConfigChanged{Set: map[string]string{"log.retention.ms": "1"}, Delete: []string{"message.max.bytes", "not.set"}})
		want := view{
			Topics: []Topic{
				{Name: "a", ID: id(3), Partitions: 4},
				{Name: "b", ID: id(2), Partitions: 1, Configs: map[string]string{"cleanup.policy": "compact"}},
			},
			NextPID: 2000,
			Last:    uint64(len(sampleRecords())) + 8,
			Broker:  map[string]string{"log.retention.ms": "1", "log.segment.bytes": "1048576"},
		}
		if got := viewOf(l); !reflect.DeepEqual(got, want) {
			t.Fatalf("got  %+v\nwant %+v", got, want)
		}
		if got, ok := l.Topic("b"); !ok || !reflect.DeepEqual(got, want.Topics[1]) {
			t.Fatalf("Topic(b) = %+v, %v", got, ok)
		}
		if _, ok := l.Topic("orders"); ok {
			t.Fatal("deleted topic still there")
		}
		if v.reopen == nil {
			return
		}
		l = v.reopen(t, l)
		if got := viewOf(l); !reflect.DeepEqual(got, want) {
			t.Fatalf("after reopen got  %+v\nwant %+v", got, want)
		}
		// The reopened log keeps going from the same index.
		mustAppend(t, l, TopicDeleted{Name: "a"})
		l = v.reopen(t, l)
		if got := l.LastIndex(); got != want.Last+1 {
			t.Fatalf("LastIndex = %d, want %d", got, want.Last+1)
		}
	})
}

func TestCopiesAreOwnedByTheCaller(t *testing.T) {
	l := OpenMemory()
	cfg := map[string]string{"a": "1"}
	mustAppend(t, l, TopicCreated{Name: "t", ID: id(1), Partitions: 1, Configs: cfg})
	cfg["a"] = "changed"
	tp, _ := l.Topic("t")
	tp.Configs["a"] = "changed too"
	l.Topics()[0].Configs["a"] = "and again"
	bc := map[string]string{"log.retention.ms": "1"}
	mustAppend(t, l, BrokerConfigChanged{Set: bc})
	bc["log.retention.ms"] = "changed"
	l.BrokerConfigs()["log.retention.ms"] = "changed too"
	if got := l.BrokerConfigs()["log.retention.ms"]; got != "1" {
		t.Fatalf("broker configs changed through a map: %q", got)
	}
	if got, _ := l.Topic("t"); got.Configs["a"] != "1" {
		t.Fatalf("state changed through a map: %q", got.Configs["a"])
	}
}

func TestValidationLeavesStateAndLogUnchanged(t *testing.T) {
	cases := []struct {
		name string
		recs []Record
		want error
	}{
		{"create existing", []Record{TopicCreated{Name: "t", ID: id(9), Partitions: 1}}, ErrTopicExists},
		{"create twice in one batch", []Record{TopicCreated{Name: "u", ID: id(8), Partitions: 1}, TopicCreated{Name: "u", ID: id(9), Partitions: 1}}, ErrTopicExists},
		{"create zero partitions", []Record{TopicCreated{Name: "u", ID: id(9), Partitions: 0}}, ErrInvalidPartitions},
		{"create zero id", []Record{TopicCreated{Name: "u", Partitions: 1}}, ErrInvalidRecord},
		{"create used id", []Record{TopicCreated{Name: "u", ID: id(1), Partitions: 1}}, ErrInvalidRecord},
		{"create empty name", []Record{TopicCreated{ID: id(9), Partitions: 1}}, ErrInvalidRecord},
		{"create non-UTF-8 name", []Record{TopicCreated{Name: "\xff", ID: id(9), Partitions: 1}}, ErrInvalidRecord},
		{"delete unknown", []Record{TopicDeleted{Name: "nope"}}, ErrUnknownTopic},
		{"delete wrong id", []Record{TopicDeleted{Name: "t", ID: id(7)}}, ErrUnknownTopic},
		{"delete twice in one batch", []Record{TopicDeleted{Name: "t"}, TopicDeleted{Name: "t"}}, ErrUnknownTopic},
		{"partitions unknown", []Record{PartitionsAdded{Name: "nope", Total: 5}}, ErrUnknownTopic},
		{"partitions same", []Record{PartitionsAdded{Name: "t", Total: 2}}, ErrInvalidPartitions},
		{"partitions fewer", []Record{PartitionsAdded{Name: "t", Total: 1}}, ErrInvalidPartitions},
		{"config unknown", []Record{ConfigChanged{Name: "nope", Set: map[string]string{"a": "b"}}}, ErrUnknownTopic},
		{"config set and delete", []Record{ConfigChanged{Name: "t", Set: map[string]string{"a": "b"}, Delete: []string{"a"}}}, ErrInvalidRecord},
		{"config empty name", []Record{ConfigChanged{Name: "t", Set: map[string]string{"": "b"}}}, ErrInvalidRecord},
		{"broker config set and delete", []Record{BrokerConfigChanged{Set: map[string]string{"a": "b"}, Delete: []string{"a"}}}, ErrInvalidRecord},
		{"broker config empty name", []Record{BrokerConfigChanged{Set: map[string]string{"": "b"}}}, ErrInvalidRecord},
		{"broker config empty delete", []Record{BrokerConfigChanged{Delete: []string{""}}}, ErrInvalidRecord},
		{"broker config non-UTF-8 value", []Record{BrokerConfigChanged{Set: map[string]string{"a": "\xff"}}}, ErrInvalidRecord},
		{"producer ids backwards", []Record{ProducerIDBlock{Next: 10}}, ErrInvalidRecord},
		{"producer ids same", []Record{ProducerIDBlock{Next: 100}}, ErrInvalidRecord},
		{"nil record", []Record{nil}, ErrInvalidRecord},
		{"good then bad", []Record{PartitionsAdded{Name: "t", Total: 9}, TopicCreated{Name: "t", ID: id(9), Partitions: 1}}, ErrTopicExists},
	}
	forEachVariant(t, func(t *testing.T, v variant) {
		l := v.open(t)
		mustAppend(t, l,
			TopicCreated{Name: "t", ID: id(1), Partitions: 2, Configs: map[string]string{"retention.ms": "5"}},
			ProducerIDBlock{Next: 100},
		)
		before := viewOf(l)
		var files map[string][]byte
		if l.dir != "" {
			files = readDir(t, l.dir)
		}
		for _, c := range cases {
			if err := l.Append(c.recs...); !errors.Is(err, c.want) {
				t.Errorf("%s: got %v, want %v", c.name, err, c.want)
			}
			if got := viewOf(l); !reflect.DeepEqual(got, before) {
				t.Fatalf("%s changed the state: %+v", c.name, got)
			}
		}
		if _, err := l.AllocateProducerIDs(0); !errors.Is(err, ErrInvalidRecord) {
			t.Errorf("AllocateProducerIDs(0): %v", err)
		}
		if l.dir != "" && !reflect.DeepEqual(readDir(t, l.dir), files) {
			t.Fatal("failed appends changed the files")
		}
		if v.reopen != nil {
			if got := viewOf(v.reopen(t, l)); !reflect.DeepEqual(got, before) {
				t.Fatalf("after reopen: %+v", got)
			}
		}
	})
}

func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, de := range des {
		if de.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[de.Name()] = b
	}
	return m
}

func TestAllocateProducerIDs(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v variant) {
		l := v.open(t)
		for i, want := range []int64{0, 10, 20} {
			first, err := l.AllocateProducerIDs(10)
			if err != nil || first != want {
				t.Fatalf("allocation %d: %d, %v; want %d", i, first, err, want)
			}
		}
		if v.reopen != nil {
			l = v.reopen(t, l)
		}
		if first, err := l.AllocateProducerIDs(5); err != nil || first != 30 || l.NextProducerID() != 35 {
			t.Fatalf("after reopen: %d, %v, next %d", first, err, l.NextProducerID())
		}
	})
}

func TestClose(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v variant) {
		l := v.open(t)
		mustAppend(t, l, TopicCreated{Name: "t", ID: id(1), Partitions: 1})
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if err := l.Append(ProducerIDBlock{Next: 1}); !errors.Is(err, ErrClosed) {
			t.Fatalf("Append after Close: %v", err)
		}
		if err := l.Close(); !errors.Is(err, ErrClosed) {
			t.Fatalf("second Close: %v", err)
		}
		if _, ok := l.Topic("t"); !ok {
			t.Fatal("reads stop after Close")
		}
	})
}

// TestConcurrent runs appends and reads together, for the race detector,
// and checks that readers see whole batches only.
func TestConcurrent(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v variant) {
		l := v.open(t)
		const writers, perWriter = 4, 10
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for i := range perWriter {
					name := fmt.Sprintf("w%d-%d", w, i)
					err := l.Append(
						TopicCreated{Name: name, ID: id(byte(w*perWriter + i + 1)), Partitions: 1},
						PartitionsAdded{Name: name, Total: 2},
					)
					if err != nil {
						t.Error(err)
					}
					if _, err := l.AllocateProducerIDs(1); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Go(func() {
			for range 200 {
				for _, tp := range l.Topics() {
					if tp.Partitions != 2 {
						t.Errorf("saw half a batch: %+v", tp)
						return
					}
				}
			}
		})
		wg.Wait()
		if got := len(l.Topics()); got != writers*perWriter {
			t.Fatalf("%d topics", got)
		}
		if got := l.NextProducerID(); got != writers*perWriter {
			t.Fatalf("next producer id %d", got)
		}
		if got := l.LastIndex(); got != 3*writers*perWriter {
			t.Fatalf("LastIndex %d", got)
		}
	})
}

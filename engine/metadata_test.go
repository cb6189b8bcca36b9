package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// modelTopic is what the randomized test expects of one topic.
type modelTopic struct {
	id         kadm.TopicID
	partitions int32
	configs    map[string]string
}

// configChoices are the topic configs the randomized test sets, with values to pick from.
var configChoices = map[string][]string{
	"retention.ms":      {"60000", "3600000", "-1"},
	"segment.bytes":     {"1048576", "16777216"},
	"cleanup.policy":    {"delete", "compact", "compact,delete"},
	"max.message.bytes": {"100000", "2000000"},
}

// TestMetadataRandomChangesSurviveRestarts is issue 6's must-show 1: thousands of mixed cluster
// changes through kadm (create, delete, grow, alter topic configs, cluster-wide broker config
// overrides), interleaved with metadata
// snapshots (on request, and in the background after a few KiB of records) and restarts; after
// every restart the cluster seen through the admin API equals what it was before, topic ids
// included. Replay with STREAMLITE_META_SEED; STREAMLITE_META_OPS sets the number of changes.
func TestMetadataRandomChangesSurviveRestarts(t *testing.T) {
	ops := 2000
	if s := os.Getenv("STREAMLITE_META_OPS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("STREAMLITE_META_OPS=%q", s)
		}
		ops = n
	}
	if testing.Short() {
		ops = 300
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("STREAMLITE_META_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("STREAMLITE_META_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("ops %d, seed %d (replay with STREAMLITE_META_SEED=%d)", ops, seed, seed)
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))

	b := enginetest.New(t, enginetest.Durable(), enginetest.MetadataSnapshotBytes(16<<10))
	ctx := context.Background()
	adm := b.Admin()
	model := map[string]*modelTopic{}
	names := make([]string, 40)
	for i := range names {
		names[i] = fmt.Sprintf("meta-%02d", i)
	}
	brokerModel := map[string]string{} // cluster-wide broker config overrides
	var restarts, snapshots, applied int
	for i := range ops {
		name := names[r.IntN(len(names))]
		mt := model[name]
		switch op := r.IntN(10); {
		case r.IntN(20) == 0: // a cluster-wide broker config override, set or deleted
			k := brokerConfigChoices[r.IntN(len(brokerConfigChoices))]
			ac := kadm.AlterConfig{Op: kadm.DeleteConfig, Name: k}
			if r.IntN(3) > 0 {
				v := fmt.Sprint(1000 * (1 + r.IntN(1000)))
				ac = kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: &v}
			}
			resp, err := adm.AlterBrokerConfigs(ctx, []kadm.AlterConfig{ac})
			if err == nil {
				err = resp[0].Err
			}
			if err != nil {
				t.Fatalf("op %d broker config %s: %v", i, k, err)
			}
			if ac.Op == kadm.SetConfig {
				brokerModel[k] = *ac.Value
			} else {
				delete(brokerModel, k)
			}
		case mt == nil || op < 2: // create (or try to create an existing topic)
			parts := int32(1 + r.IntN(3))
			cfgs := map[string]*string{}
			for k, vs := range configChoices {
				if r.IntN(3) == 0 {
					v := vs[r.IntN(len(vs))]
					cfgs[k] = &v
				}
			}
			resp, err := adm.CreateTopic(ctx, parts, 1, cfgs, name)
			if err == nil {
				err = resp.Err
			}
			if mt != nil {
				if !errors.Is(err, kerr.TopicAlreadyExists) {
					t.Fatalf("op %d: creating existing topic %s: %v, want TOPIC_ALREADY_EXISTS", i, name, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("op %d create %s: %v", i, name, err)
			}
			m := &modelTopic{id: resp.ID, partitions: parts, configs: map[string]string{}}
			for k, v := range cfgs {
				m.configs[k] = *v
			}
			model[name] = m
		case op < 4: // delete
			resp, err := adm.DeleteTopic(ctx, name)
			if err == nil {
				err = resp.Err
			}
			if err != nil {
				t.Fatalf("op %d delete %s: %v", i, name, err)
			}
			delete(model, name)
		case op < 6: // grow
			add := 1 + r.IntN(2)
			resp, err := adm.CreatePartitions(ctx, add, name)
			if err == nil {
				err = resp[name].Err
			}
			if err != nil {
				t.Fatalf("op %d grow %s: %v", i, name, err)
			}
			mt.partitions += int32(add)
		default: // alter configs: set one, delete another
			var alter []kadm.AlterConfig
			keys := slices.Sorted(maps.Keys(configChoices))
			k := keys[r.IntN(len(keys))]
			v := configChoices[k][r.IntN(len(configChoices[k]))]
			alter = append(alter, kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: &v})
			if d := keys[r.IntN(len(keys))]; d != k {
				alter = append(alter, kadm.AlterConfig{Op: kadm.DeleteConfig, Name: d})
			}
			resp, err := adm.AlterTopicConfigs(ctx, alter, name)
			if err == nil {
				err = resp[0].Err
			}
			if err != nil {
				t.Fatalf("op %d alter %s: %v", i, name, err)
			}
			for _, a := range alter {
				if a.Op == kadm.SetConfig {
					mt.configs[a.Name] = *a.Value
				} else {
					delete(mt.configs, a.Name)
				}
			}
		}
		applied++
		if i%150 == 100 || r.IntN(300) == 0 {
			if _, err := b.Engine().Meta().Snapshot(); err != nil {
				t.Fatalf("op %d snapshot: %v", i, err)
			}
			snapshots++
		}
		if i%200 == 199 || i == ops-1 {
			before := clusterView(t, b)
			checkModel(t, fmt.Sprintf("op %d, before restart", i), before, model)
			if got := brokerView(t, b); !maps.Equal(got, brokerModel) {
				t.Fatalf("op %d: broker overrides %v, want %v", i, got, brokerModel)
			}
			b.Restart()
			restarts++
			adm = b.Admin()
			if after := clusterView(t, b); !maps.EqualFunc(after, before, sameTopic) {
				t.Fatalf("op %d: state changed across a restart:\nbefore %v\nafter  %v", i, before, after)
			}
			if got := brokerView(t, b); !maps.Equal(got, brokerModel) {
				t.Fatalf("op %d: broker overrides after a restart %v, want %v", i, got, brokerModel)
			}
		}
	}
	st := b.Engine().Meta().Stats()
	t.Logf("%d changes applied, %d snapshots on request, %d restarts, %d topics at the end; metadata log: %+v",
		applied, snapshots, restarts, len(model), st)
	if st.SnapshotIndex == 0 {
		t.Fatal("no snapshot was ever written")
	}
	checkMetadataTopic(t, b, b.Engine().Meta().LastIndex())
}

// brokerConfigChoices are the cluster-wide overrides the randomized test changes.
var brokerConfigChoices = []string{"log.retention.ms", "log.segment.bytes", "message.max.bytes"}

// brokerView reads the cluster-wide broker config overrides with a fresh client.
func brokerView(t *testing.T, b *enginetest.Broker) map[string]string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	rcs, err := kadm.NewClient(cl).DescribeBrokerConfigs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, rc := range rcs {
		if rc.Err != nil {
			t.Fatalf("broker configs: %v", rc.Err)
		}
		for _, c := range rc.Configs {
			if c.Value != nil {
				out[c.Key] = *c.Value
			}
		}
	}
	return out
}

// viewTopic is a topic as the admin API shows it.
type viewTopic struct {
	id         kadm.TopicID
	partitions int
	configs    map[string]string // set explicitly (DYNAMIC_TOPIC_CONFIG)
}

func sameTopic(a, b viewTopic) bool {
	return a.id == b.id && a.partitions == b.partitions && maps.Equal(a.configs, b.configs)
}

func (v viewTopic) String() string {
	return fmt.Sprintf("{%s p%d %v}", v.id, v.partitions, v.configs)
}

// clusterView reads every non-internal topic with its partitions and explicit configs, with a
// fresh client: kadm answers ListTopics from a client's metadata cache (5 s).
func clusterView(t *testing.T, b *enginetest.Broker) map[string]viewTopic {
	t.Helper()
	ctx := context.Background()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	tds, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]viewTopic{}
	var names []string
	for _, td := range tds.Sorted() {
		if td.Err != nil {
			t.Fatalf("topic %s: %v", td.Topic, td.Err)
		}
		out[td.Topic] = viewTopic{id: td.ID, partitions: len(td.Partitions), configs: map[string]string{}}
		names = append(names, td.Topic)
	}
	if len(names) == 0 {
		return out
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, names...)
	if err != nil {
		t.Fatal(err)
	}
	for _, rc := range rcs {
		if rc.Err != nil {
			t.Fatalf("configs of %s: %v", rc.Name, rc.Err)
		}
		v := out[rc.Name]
		for _, c := range rc.Configs {
			if c.Source == 1 && c.Value != nil { // DYNAMIC_TOPIC_CONFIG: set on the topic
				v.configs[c.Key] = *c.Value
			}
		}
		out[rc.Name] = v
	}
	return out
}

// checkModel compares the admin API's view with what the test did.
func checkModel(t *testing.T, when string, view map[string]viewTopic, model map[string]*modelTopic) {
	t.Helper()
	if len(view) != len(model) {
		t.Fatalf("%s: %d topics through the API, %d expected", when, len(view), len(model))
	}
	for name, m := range model {
		v, ok := view[name]
		if !ok || v.id != m.id || v.partitions != int(m.partitions) || !maps.Equal(v.configs, m.configs) {
			t.Fatalf("%s: topic %s is %v, want {%s p%d %v}", when, name, v, m.id, m.partitions, m.configs)
		}
	}
}

// checkMetadataTopic reads __cluster_metadata from the start and checks it holds one JSON
// record per metadata change, indexes 1..last in order, snapshots notwithstanding.
func checkMetadataTopic(t *testing.T, b *enginetest.Broker, last uint64) {
	t.Helper()
	cl := b.Client(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{
		"__cluster_metadata": {0: kgo.NewOffset().AtStart()},
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var prev uint64
	n := 0
	for prev < last {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("reading __cluster_metadata after %d records (index %d of %d): %v", n, prev, last, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			var v struct {
				Index  uint64          `json:"index"`
				Type   string          `json:"type"`
				Record json.RawMessage `json:"record"`
			}
			if err := json.Unmarshal(r.Value, &v); err != nil || v.Type != string(r.Key) || len(v.Record) == 0 {
				t.Fatalf("record at offset %d: %s (%v)", r.Offset, r.Value, err)
			}
			if v.Index <= prev {
				t.Fatalf("index %d after %d at offset %d", v.Index, prev, r.Offset)
			}
			prev = v.Index
			n++
		})
	}
	if uint64(n) != last {
		t.Fatalf("__cluster_metadata holds %d records for indexes 1..%d: changes are missing", n, last)
	}
	t.Logf("__cluster_metadata: %d records, last index %d", n, prev)
}

package admin

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// State is what the offset and lag gauges are computed from: the broker
// gives the admin Server a view of its partitions and committed offsets
// rather than the Server importing engine internals.
//
// Both methods are called at every scrape of /metrics, on the HTTP
// request's goroutine, concurrently with the broker's work and possibly with
// another scrape: they must be safe for concurrent use and should not block
// on I/O. The Server reads the returned slices during the scrape and keeps
// no reference to them afterwards; it never modifies them, so an
// implementation may return a slice it builds fresh or a snapshot it shares.
type State interface {
	// PartitionOffsets returns every partition of every topic the
	// broker holds, internal topics included if they should be
	// monitored.
	PartitionOffsets() []PartitionOffsets
	// GroupOffsets returns every committed offset of every group.
	GroupOffsets() []GroupOffset
}

// PartitionOffsets are one partition's offsets.
type PartitionOffsets struct {
	Topic     string
	Partition int32
	// LogStart is the first offset still readable (Kafka's log start
	// offset), local or tiered.
	LogStart int64
	// HighWatermark is the offset the next committed record gets: the log
	// end offset consumers see (ListOffsets latest, read_uncommitted).
	HighWatermark int64
}

// GroupOffset is a group's committed offset on one partition.
type GroupOffset struct {
	Group     string
	Topic     string
	Partition int32
	// Committed is the offset the group committed: the next offset it will
	// read. Negative means no commit.
	Committed int64
}

// Metric names and labels, as kafka_exporter names them.
var (
	descBrokers = prometheus.NewDesc("kafka_brokers",
		"Number of brokers in the cluster.", nil, nil)
	descTopicPartitions = prometheus.NewDesc("kafka_topic_partitions",
		"Number of partitions of a topic.", []string{"topic"}, nil)
	descPartitionCurrent = prometheus.NewDesc("kafka_topic_partition_current_offset",
		"High watermark (log end offset) of a partition.", []string{"topic", "partition"}, nil)
	descPartitionOldest = prometheus.NewDesc("kafka_topic_partition_oldest_offset",
		"Log start offset of a partition.", []string{"topic", "partition"}, nil)
	descGroupCurrent = prometheus.NewDesc("kafka_consumergroup_current_offset",
		"Committed offset of a consumer group on a partition.", []string{"consumergroup", "topic", "partition"}, nil)
	descGroupCurrentSum = prometheus.NewDesc("kafka_consumergroup_current_offset_sum",
		"Sum of a consumer group's committed offsets over a topic's partitions.", []string{"consumergroup", "topic"}, nil)
	descGroupLag = prometheus.NewDesc("kafka_consumergroup_lag",
		"High watermark minus committed offset of a consumer group on a partition (-1: no commit).", []string{"consumergroup", "topic", "partition"}, nil)
	descGroupLagSum = prometheus.NewDesc("kafka_consumergroup_lag_sum",
		"Sum of a consumer group's lag over a topic's partitions.", []string{"consumergroup", "topic"}, nil)
)

// offsetCollector computes the kafka_* gauges from a State at scrape time.
type offsetCollector struct {
	state   State // nil: only kafka_brokers
	brokers float64
}

func newOffsetCollector(state State, brokers int) *offsetCollector {
	return &offsetCollector{state: state, brokers: float64(brokers)}
}

// Describe implements prometheus.Collector.
func (c *offsetCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		descBrokers, descTopicPartitions, descPartitionCurrent, descPartitionOldest,
		descGroupCurrent, descGroupCurrentSum, descGroupLag, descGroupLagSum,
	} {
		ch <- d
	}
}

type topicPartition struct {
	topic     string
	partition int32
}

type groupTopic struct{ group, topic string }

type groupPartition struct {
	groupTopic
	partition int32
}

// Collect implements prometheus.Collector.
func (c *offsetCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(descBrokers, prometheus.GaugeValue, c.brokers)
	if c.state == nil {
		return
	}

	parts := c.state.PartitionOffsets()
	hw := make(map[topicPartition]int64, len(parts))
	perTopic := make(map[string]int)
	for _, p := range parts {
		tp := topicPartition{p.Topic, p.Partition}
		if _, dup := hw[tp]; dup {
			continue // a State bug; a duplicate series would fail the scrape
		}
		hw[tp] = p.HighWatermark
		perTopic[p.Topic]++
		ps := strconv.Itoa(int(p.Partition))
		ch <- prometheus.MustNewConstMetric(descPartitionCurrent, prometheus.GaugeValue, float64(p.HighWatermark), p.Topic, ps)
		ch <- prometheus.MustNewConstMetric(descPartitionOldest, prometheus.GaugeValue, float64(p.LogStart), p.Topic, ps)
	}
	for t, n := range perTopic {
		ch <- prometheus.MustNewConstMetric(descTopicPartitions, prometheus.GaugeValue, float64(n), t)
	}

	type sums struct {
		current, lag int64
		hasLag       bool
	}
	seen := make(map[groupPartition]bool)
	perGroupTopic := make(map[groupTopic]*sums)
	for _, g := range c.state.GroupOffsets() {
		key := groupPartition{groupTopic{g.Group, g.Topic}, g.Partition}
		if seen[key] {
			continue // as above: never emit a duplicate series
		}
		seen[key] = true
		s := perGroupTopic[key.groupTopic]
		if s == nil {
			s = &sums{}
			perGroupTopic[key.groupTopic] = s
		}
		ps := strconv.Itoa(int(g.Partition))
		ch <- prometheus.MustNewConstMetric(descGroupCurrent, prometheus.GaugeValue, float64(g.Committed), g.Group, g.Topic, ps)
		if g.Committed >= 0 {
			s.current += g.Committed
		}
		end, ok := hw[topicPartition{g.Topic, g.Partition}]
		if !ok {
			continue // the partition is gone: no lag to speak of
		}
		lag := int64(-1)
		if g.Committed >= 0 {
			lag = end - g.Committed
			s.lag += lag
		}
		s.hasLag = true
		ch <- prometheus.MustNewConstMetric(descGroupLag, prometheus.GaugeValue, float64(lag), g.Group, g.Topic, ps)
	}
	for gt, s := range perGroupTopic {
		ch <- prometheus.MustNewConstMetric(descGroupCurrentSum, prometheus.GaugeValue, float64(s.current), gt.group, gt.topic)
		if s.hasLag {
			ch <- prometheus.MustNewConstMetric(descGroupLagSum, prometheus.GaugeValue, float64(s.lag), gt.group, gt.topic)
		}
	}
}

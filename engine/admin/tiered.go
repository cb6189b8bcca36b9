package admin

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// TierState reports tiered storage for the streamlite_tiered_* gauges, at
// each scrape.
type TierState interface {
	// TierPartitions returns every remote-storage partition's state.
	TierPartitions() []TierPartition
	// TierCache returns the remote read cache's counters.
	TierCache() TierCacheStats
}

// TierPartition is one remote-storage partition's tiered storage state.
type TierPartition struct {
	Topic       string
	Partition   int32
	LocalBytes  int64
	RemoteBytes int64
	// UploadLagBytes are closed segments not yet in the object store.
	UploadLagBytes int64
	// RemoteStart and RemoteEnd bound the offsets in the object store
	// (-1 when it holds none).
	RemoteStart int64
	RemoteEnd   int64
	// LastError is the last upload failure, "" after a success.
	LastError string
}

// TierCacheStats are the remote read cache's counters.
type TierCacheStats struct {
	Hits, Misses, Evictions, Errors int64
	Bytes                           int64
}

var (
	descTierLocal = prometheus.NewDesc("streamlite_tiered_local_bytes",
		"Bytes of a remote-storage partition's segments on local disk.", []string{"topic", "partition"}, nil)
	descTierRemote = prometheus.NewDesc("streamlite_tiered_remote_bytes",
		"Bytes of a partition's segments in the object store.", []string{"topic", "partition"}, nil)
	descTierLag = prometheus.NewDesc("streamlite_tiered_upload_lag_bytes",
		"Bytes of a partition's closed segments not yet in the object store.", []string{"topic", "partition"}, nil)
	descTierFailing = prometheus.NewDesc("streamlite_tiered_upload_failing",
		"1 while a partition's last upload attempt failed (the object store is unreachable or refuses), else 0.", []string{"topic", "partition"}, nil)
	descCacheHits = prometheus.NewDesc("streamlite_tiered_cache_hits_total",
		"Chunk reads of the remote read cache served from the cache.", nil, nil)
	descCacheMisses = prometheus.NewDesc("streamlite_tiered_cache_misses_total",
		"Chunk reads of the remote read cache fetched from the object store.", nil, nil)
	descCacheEvictions = prometheus.NewDesc("streamlite_tiered_cache_evictions_total",
		"Chunks evicted from the remote read cache.", nil, nil)
	descCacheErrors = prometheus.NewDesc("streamlite_tiered_cache_errors_total",
		"Failed fetches of the remote read cache.", nil, nil)
	descCacheBytes = prometheus.NewDesc("streamlite_tiered_cache_bytes",
		"Bytes held by the remote read cache.", nil, nil)
)

// tierCollector exports a TierState.
type tierCollector struct{ state TierState }

// Describe implements prometheus.Collector.
func (c tierCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descTierLocal, descTierRemote, descTierLag, descTierFailing,
		descCacheHits, descCacheMisses, descCacheEvictions, descCacheErrors, descCacheBytes} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c tierCollector) Collect(ch chan<- prometheus.Metric) {
	seen := map[topicPartition]bool{}
	for _, p := range c.state.TierPartitions() {
		tp := topicPartition{p.Topic, p.Partition}
		if seen[tp] {
			continue
		}
		seen[tp] = true
		ps := strconv.Itoa(int(p.Partition))
		failing := 0.0
		if p.LastError != "" {
			failing = 1
		}
		ch <- prometheus.MustNewConstMetric(descTierLocal, prometheus.GaugeValue, float64(p.LocalBytes), p.Topic, ps)
		ch <- prometheus.MustNewConstMetric(descTierRemote, prometheus.GaugeValue, float64(p.RemoteBytes), p.Topic, ps)
		ch <- prometheus.MustNewConstMetric(descTierLag, prometheus.GaugeValue, float64(p.UploadLagBytes), p.Topic, ps)
		ch <- prometheus.MustNewConstMetric(descTierFailing, prometheus.GaugeValue, failing, p.Topic, ps)
	}
	cs := c.state.TierCache()
	ch <- prometheus.MustNewConstMetric(descCacheHits, prometheus.CounterValue, float64(cs.Hits))
	ch <- prometheus.MustNewConstMetric(descCacheMisses, prometheus.CounterValue, float64(cs.Misses))
	ch <- prometheus.MustNewConstMetric(descCacheEvictions, prometheus.CounterValue, float64(cs.Evictions))
	ch <- prometheus.MustNewConstMetric(descCacheErrors, prometheus.CounterValue, float64(cs.Errors))
	ch <- prometheus.MustNewConstMetric(descCacheBytes, prometheus.GaugeValue, float64(cs.Bytes))
}

// tierPartitionJSON is one partition in GET /v1/tiered.
type tierPartitionJSON struct {
	Topic          string `json:"topic"`
	Partition      int32  `json:"partition"`
	LocalBytes     int64  `json:"local_bytes"`
	RemoteBytes    int64  `json:"remote_bytes"`
	UploadLagBytes int64  `json:"upload_lag_bytes"`
	RemoteStart    int64  `json:"remote_start_offset"`
	RemoteEnd      int64  `json:"remote_end_offset"`
	LastError      string `json:"last_error,omitempty"`
}

// serveTiered answers GET /v1/tiered: every remote-storage partition's
// state and the read cache's counters; 404 when tiered storage is off.
func (s *Server) serveTiered(w http.ResponseWriter, _ *http.Request) {
	if s.cfg.Tier == nil {
		writeError(w, http.StatusNotFound, "tiered storage is off (the broker keeps its data in memory)")
		return
	}
	var body struct {
		Partitions []tierPartitionJSON `json:"partitions"`
		Cache      struct {
			Hits      int64 `json:"hits"`
			Misses    int64 `json:"misses"`
			Evictions int64 `json:"evictions"`
			Errors    int64 `json:"errors"`
			Bytes     int64 `json:"bytes"`
		} `json:"cache"`
	}
	body.Partitions = []tierPartitionJSON{}
	for _, p := range s.cfg.Tier.TierPartitions() {
		body.Partitions = append(body.Partitions, tierPartitionJSON(p))
	}
	cs := s.cfg.Tier.TierCache()
	body.Cache.Hits, body.Cache.Misses, body.Cache.Evictions, body.Cache.Errors, body.Cache.Bytes = cs.Hits, cs.Misses, cs.Evictions, cs.Errors, cs.Bytes
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

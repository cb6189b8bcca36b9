package admin

import (
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// RequestMetrics are the broker's request and byte counters. The wire
// server calls its methods on the hot path, from every connection's
// goroutine at once; each call is a few atomic operations and allocates
// nothing once the API key or topic has been seen:
//
//	streamlite_requests_total{api}         requests answered, by API name (kmsg's: Produce, Fetch, ...)
//	streamlite_request_bytes_total{api}    request bytes read, size prefix included
//	streamlite_response_bytes_total{api}   response bytes written, size prefix included
//	streamlite_produced_bytes_total{topic} record-batch bytes appended by Produce
//	streamlite_fetched_bytes_total{topic}  record-batch bytes returned by Fetch
//
// An API key's series appear with its first request (so /metrics lists
// only the APIs clients use) and keys kmsg does not know count under
// api="unknown". A topic's series appear with its first produce or fetch and
// go with ForgetTopic.
//
// A RequestMetrics is a prometheus.Collector: give it to Config.Requests
// (or register it on any registry). The zero value is not usable; use
// NewRequestMetrics.
type RequestMetrics struct {
	requests, requestBytes, responseBytes *prometheus.CounterVec

	// apis[k] holds API key k's counters once resolved: the first request
	// of a key resolves them (label formatting, a map lookup inside the
	// vec), every later one only loads the pointer.
	apis    [kmsg.MaxKey + 1]atomic.Pointer[apiCounters]
	unknown apiCounters // keys out of range or without a name

	produced, fetched topicCounters
}

// apiCounters are one API's resolved counters.
type apiCounters struct {
	requests, requestBytes, responseBytes prometheus.Counter
}

// NewRequestMetrics returns counters at zero.
func NewRequestMetrics() *RequestMetrics {
	m := &RequestMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "streamlite_requests_total",
			Help: "Kafka requests answered, by API.",
		}, []string{"api"}),
		requestBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "streamlite_request_bytes_total",
			Help: "Bytes of Kafka requests read, size prefix included, by API.",
		}, []string{"api"}),
		responseBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "streamlite_response_bytes_total",
			Help: "Bytes of Kafka responses written, size prefix included, by API.",
		}, []string{"api"}),
		produced: topicCounters{vec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "streamlite_produced_bytes_total",
			Help: "Record-batch bytes appended by Produce, by topic.",
		}, []string{"topic"})},
		fetched: topicCounters{vec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "streamlite_fetched_bytes_total",
			Help: "Record-batch bytes returned by Fetch, by topic.",
		}, []string{"topic"})},
	}
	m.unknown = m.resolve("unknown")
	return m
}

func (m *RequestMetrics) resolve(api string) apiCounters {
	return apiCounters{
		requests:      m.requests.WithLabelValues(api),
		requestBytes:  m.requestBytes.WithLabelValues(api),
		responseBytes: m.responseBytes.WithLabelValues(api),
	}
}

// api returns the counters of apiKey, resolving them on its first use.
func (m *RequestMetrics) api(apiKey int16) *apiCounters {
	if apiKey < 0 || int(apiKey) >= len(m.apis) {
		return &m.unknown
	}
	slot := &m.apis[apiKey]
	if c := slot.Load(); c != nil {
		return c
	}
	name := kmsg.NameForKey(apiKey)
	if name == "" {
		return &m.unknown
	}
	// Two first requests may race here; WithLabelValues hands both the
	// same children, so either stored value is right.
	c := m.resolve(name)
	slot.Store(&c)
	return &c
}

// Request counts one answered request of apiKey that was reqBytes long and
// whose response was respBytes long (0 when no response is sent, as for
// Produce with acks=0). Negative sizes are ignored.
func (m *RequestMetrics) Request(apiKey int16, reqBytes, respBytes int) {
	c := m.api(apiKey)
	c.requests.Inc()
	if reqBytes > 0 {
		c.requestBytes.Add(float64(reqBytes))
	}
	if respBytes > 0 {
		c.responseBytes.Add(float64(respBytes))
	}
}

// Produced counts n record-batch bytes appended to topic.
func (m *RequestMetrics) Produced(topic string, n int) {
	if n > 0 {
		m.produced.get(topic).Add(float64(n))
	}
}

// Fetched counts n record-batch bytes of topic returned to a consumer.
func (m *RequestMetrics) Fetched(topic string, n int) {
	if n > 0 {
		m.fetched.get(topic).Add(float64(n))
	}
}

// ForgetTopic removes topic's series, for when the topic is deleted. A
// produce or fetch counted concurrently may be lost, or bring the series
// back from zero.
func (m *RequestMetrics) ForgetTopic(topic string) {
	m.produced.forget(topic)
	m.fetched.forget(topic)
}

// Describe implements prometheus.Collector.
func (m *RequestMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, v := range m.vecs() {
		v.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (m *RequestMetrics) Collect(ch chan<- prometheus.Metric) {
	for _, v := range m.vecs() {
		v.Collect(ch)
	}
}

func (m *RequestMetrics) vecs() [5]*prometheus.CounterVec {
	return [5]*prometheus.CounterVec{m.requests, m.requestBytes, m.responseBytes, m.produced.vec, m.fetched.vec}
}

// topicCounters resolves a vec's per-topic counters through a copy-on-write
// map: readers load the current map and look the topic up, with no lock
// and no allocation (a sync.Map would box the string key); a new topic
// copies the map under mu.
type topicCounters struct {
	vec *prometheus.CounterVec
	m   atomic.Pointer[map[string]prometheus.Counter]
	mu  sync.Mutex // serializes writers of m
}

func (t *topicCounters) get(topic string) prometheus.Counter {
	if m := t.m.Load(); m != nil {
		if c, ok := (*m)[topic]; ok {
			return c
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.m.Load()
	if old != nil {
		if c, ok := (*old)[topic]; ok {
			return c
		}
	}
	c := t.vec.WithLabelValues(topic)
	next := make(map[string]prometheus.Counter, mapLen(old)+1)
	if old != nil {
		for k, v := range *old {
			next[k] = v
		}
	}
	next[topic] = c
	t.m.Store(&next)
	return c
}

func (t *topicCounters) forget(topic string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if old := t.m.Load(); old != nil {
		if _, ok := (*old)[topic]; ok {
			next := make(map[string]prometheus.Counter, len(*old))
			for k, v := range *old {
				if k != topic {
					next[k] = v
				}
			}
			t.m.Store(&next)
		}
	}
	t.vec.DeleteLabelValues(topic)
}

func mapLen(m *map[string]prometheus.Counter) int {
	if m == nil {
		return 0
	}
	return len(*m)
}

package kafka

// Observer receives the wire server's counts, for metrics. engine wires in admin.RequestMetrics.
// Its methods are called on connection goroutines, concurrently, on the hot path: they must be
// cheap and must not block.
type Observer interface {
	// Request is called once a response is written (respBytes 0 for acks=0 produce); sizes
	// include the 4-byte size prefix.
	Request(apiKey int16, reqBytes, respBytes int)
	// Produced counts record-batch bytes appended to topic.
	Produced(topic string, n int)
	// Fetched counts record-batch bytes a fetch response carries from topic.
	Fetched(topic string, n int)
	// ForgetTopic drops a deleted topic's counters.
	ForgetTopic(topic string)
}

// nopObserver is the Observer when none is configured.
type nopObserver struct{}

func (nopObserver) Request(int16, int, int) {}
func (nopObserver) Produced(string, int)    {}
func (nopObserver) Fetched(string, int)     {}
func (nopObserver) ForgetTopic(string)      {}

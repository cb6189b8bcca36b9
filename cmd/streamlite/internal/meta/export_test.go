package meta

import "testing"

// UseTopic points `meta log` at topic until the test ends, for tests that
// fill a topic of their own with metadata-shaped records.
func UseTopic(t testing.TB, topic string) {
	old := metadataTopic
	metadataTopic = topic
	t.Cleanup(func() { metadataTopic = old })
}

package kafka

// Test hooks for the external kafka_test package.

// MakeBatch builds one v2 record batch of values (record i has timestamp firstTimestamp+i)
// compressed with codec (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd), with a correct length and
// CRC, as a producer would send it.
func MakeBatch(tb testingTB, codec int8, firstTimestamp int64, values ...string) []byte {
	return makeBatch(tb, codec, firstTimestamp, values...)
}

// ResealBatch recomputes a batch's length and CRC after a test changed its bytes.
func ResealBatch(b []byte) []byte { return resealBatch(b) }

// SupportedAPIs returns the served version ranges, key → [min, max].
func SupportedAPIs() map[int16][2]int16 {
	out := make(map[int16][2]int16, len(supportedAPIs))
	for k, r := range supportedAPIs {
		out[k] = [2]int16{r.min, r.max}
	}
	return out
}

package cluster

import "testing"

// KeyPartition is Kafka's partitionFor: Utils.abs(key.hashCode) % 50, with Java's
// String.hashCode. The expected values are Java's: "".hashCode() = 0, "group".hashCode() =
// 98629247, "hello".hashCode() = 99162322, "polygenelubricants".hashCode() =
// Integer.MIN_VALUE (so Utils.abs gives 0), and a string outside the BMP hashes its UTF-16
// surrogates.
func TestKeyPartitionMatchesKafka(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want int32
	}{
		{"", 0},
		{"group", 98629247 % 50},
		{"hello", 22},
		{"txn-1", 10}, // "txn-1".hashCode() = 110810510
		{"polygenelubricants", 0},
		{"Aa", 2112 % 50}, // "Aa" and "BB" collide in Java
		{"BB", 2112 % 50},
		{"😀", (31*0xD83D + 0xDE00) % 50},
		{"\xff", 0xFFFD % 50}, // invalid UTF-8 decodes to U+FFFD
	} {
		if got := KeyPartition(tc.key, 50); got != tc.want {
			t.Errorf("KeyPartition(%q) = %d, want %d", tc.key, got, tc.want)
		}
	}
}

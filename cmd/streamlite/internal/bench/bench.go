// Package bench implements `streamlite bench produce|consume`: load tests
// against any Kafka cluster, run by engine/loadgen. Each verb prints
// records/s and MB/s (MiB per second), produce adds p50/p99 latency from the
// produce call to the acknowledgement, and --json prints the same as one
// JSON line instead.
package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clientflags"
	"github.com/streamlite/streamlite/engine/loadgen"
)

// common are the flags every verb shares.
type common struct {
	cf     *clientflags.Flags
	topic  string
	asJSON bool
}

// NewCommand returns the `bench` command with its verbs.
func NewCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure produce and consume throughput against a Kafka cluster",
		Args:  cobra.NoArgs,
	}
	c := &common{cf: clientflags.Add(cmd)}
	pf := cmd.PersistentFlags()
	pf.StringVar(&c.topic, "topic", "", "topic to use (produce default: a fresh bench-<unix ms> topic)")
	pf.BoolVar(&c.asJSON, "json", false, "print the result as one JSON line")
	cmd.AddCommand(newProduceCommand(c), newConsumeCommand(c))
	return cmd
}

// report is the JSON line printed with --json.
type report struct {
	Mode          string  `json:"mode"`
	Topic         string  `json:"topic"`
	Records       int64   `json:"records"`
	Bytes         int64   `json:"bytes"`
	ElapsedMS     float64 `json:"elapsed_ms"`
	RecordsPerSec float64 `json:"records_per_sec"`
	MBPerSec      float64 `json:"mb_per_sec"`
	P50MS         float64 `json:"p50_ms,omitempty"`
	P99MS         float64 `json:"p99_ms,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// printResult writes res as text or, with asJSON, as one JSON line.
func printResult(w io.Writer, mode string, res loadgen.Result, asJSON bool) error {
	if asJSON {
		r := report{
			Mode: mode, Topic: res.Topic, Records: res.Records, Bytes: res.Bytes,
			ElapsedMS: ms(res.Elapsed), RecordsPerSec: res.RecordsPerSec(), MBPerSec: res.MBPerSec(),
		}
		if mode == "produce" {
			r.P50MS, r.P99MS = ms(res.P50), ms(res.P99)
		}
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	verb := "produced to"
	if mode == "consume" {
		verb = "consumed from"
	}
	_, err := fmt.Fprintf(w, "%s: %d records (%.2f MiB) %s %s in %s\n  %.1f records/s, %.2f MB/s",
		mode, res.Records, float64(res.Bytes)/(1<<20), verb, res.Topic, res.Elapsed.Round(time.Millisecond),
		res.RecordsPerSec(), res.MBPerSec())
	if err != nil {
		return err
	}
	if mode == "produce" {
		_, err = fmt.Fprintf(w, ", latency p50 %s, p99 %s", res.P50, res.P99)
	}
	if err == nil {
		_, err = fmt.Fprintln(w)
	}
	return err
}

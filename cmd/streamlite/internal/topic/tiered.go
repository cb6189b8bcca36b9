package topic

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clientflags"
)

// remoteStorage reports whether configs have remote.storage.enable=true.
func remoteStorage(configs []kadm.Config) bool {
	for _, c := range configs {
		if c.Key == "remote.storage.enable" {
			return strings.EqualFold(c.MaybeValue(), "true")
		}
	}
	return false
}

// tierPartition is one partition of the admin listener's GET /v1/tiered.
type tierPartition struct {
	Topic          string `json:"topic"`
	Partition      int32  `json:"partition"`
	LocalBytes     int64  `json:"local_bytes"`
	RemoteBytes    int64  `json:"remote_bytes"`
	UploadLagBytes int64  `json:"upload_lag_bytes"`
	LastError      string `json:"last_error"`
}

// describeTiered prints the tiered storage section of `topic describe`: per
// partition the earliest local offset and the last tiered one (ListOffsets
// -4 and -5, KIP-1005), and from the admin listener the local and remote
// bytes, the upload lag and the last upload error.
func describeTiered(ctx context.Context, cf *clientflags.Flags, out io.Writer, topic, adminAddr string, partitions []int32) error {
	cl, err := cf.NewClient()
	if err != nil {
		return err
	}
	defer cl.Close()
	localStart, tieredEnd := map[int32]string{}, map[int32]string{}
	for _, q := range []struct {
		ts   int64
		into map[int32]string
	}{{-4, localStart}, {-5, tieredEnd}} {
		req := kmsg.NewPtrListOffsetsRequest()
		req.Version = 9
		rt := kmsg.NewListOffsetsRequestTopic()
		rt.Topic = topic
		for _, p := range partitions {
			rp := kmsg.NewListOffsetsRequestTopicPartition()
			rp.Partition, rp.Timestamp = p, q.ts
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return fmt.Errorf("listing tiered offsets of %s: %w", topic, err)
		}
		for _, rt := range resp.Topics {
			for _, rp := range rt.Partitions {
				q.into[rp.Partition] = fmt.Sprint(rp.Offset)
				if rp.ErrorCode != 0 {
					q.into[rp.Partition] = "error " + fmt.Sprint(rp.ErrorCode)
				}
			}
		}
	}

	byPartition := map[int32]tierPartition{}
	tierErr := fetchTiered(ctx, adminAddr, topic, byPartition)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIERED\tLOCAL START\tTIERED END\tLOCAL BYTES\tREMOTE BYTES\tUPLOAD LAG\tLAST UPLOAD ERROR")
	for _, p := range partitions {
		local, remote, lag, last := "-", "-", "-", ""
		if tp, ok := byPartition[p]; ok {
			local, remote, lag, last = fmt.Sprint(tp.LocalBytes), fmt.Sprint(tp.RemoteBytes), fmt.Sprint(tp.UploadLagBytes), tp.LastError
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", p, localStart[p], tieredEnd[p], local, remote, lag, last)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if tierErr != nil {
		fmt.Fprintf(out, "(byte counts unavailable: %v)\n", tierErr)
	}
	return nil
}

// fetchTiered reads GET /v1/tiered from the admin listener at addr into
// by, for topic's partitions.
func fetchTiered(ctx context.Context, addr, topic string, by map[int32]tierPartition) error {
	addr = strings.TrimRight(strings.TrimSpace(addr), "/")
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, addr+"/v1/tiered", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("the admin listener (--admin-addr, env %s): %w", clientflags.EnvName("admin-addr"), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s/v1/tiered: %s", addr, resp.Status)
	}
	var body struct {
		Partitions []tierPartition `json:"partitions"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return fmt.Errorf("reading GET %s/v1/tiered: %w", addr, err)
	}
	for _, p := range body.Partitions {
		if p.Topic == topic {
			by[p.Partition] = p
		}
	}
	return nil
}

package meta

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
)

func newSnapshotCommand() *cobra.Command {
	var addr *string
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Write a snapshot of the metadata log now",
		Long: `Ask the broker to write a snapshot of its metadata log now, as it does by
itself after metadata.log.max.record.bytes.between.snapshots bytes of
records, and print the index the snapshot covers. Records up to that index
are then dropped from the log: the broker starts from the snapshot.

It calls POST /v1/metadata/snapshot on the broker's admin listener
(--admin-addr, default 127.0.0.1:9644).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newAdminClient(*addr)
			if err != nil {
				return err
			}
			body, err := c.do(cmd.Context(), "POST", "/v1/metadata/snapshot")
			if err != nil {
				return fmt.Errorf("writing a metadata snapshot: %w", err)
			}
			var ans struct {
				Index *uint64 `json:"index"`
			}
			if err := json.Unmarshal(body, &ans); err != nil || ans.Index == nil {
				return fmt.Errorf("writing a metadata snapshot: the answer has no index: %.200q", body)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "snapshot at index %d\n", *ans.Index)
			return err
		},
	}
	addr = addAdminAddr(cmd)
	return cmd
}

// Package topic implements `streamlite topic`: create, list, describe,
// delete and alter-config, through the Kafka admin APIs (kadm), so every verb
// works against any Kafka cluster. Topic configs use Kafka's names
// (retention.ms, cleanup.policy, ...). Errors answered by the broker are shown
// as Kafka's error name and the broker's message.
package topic

import (
	"github.com/spf13/cobra"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clientflags"
)

// NewCommand returns the `topic` command with its verbs.
func NewCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "topic",
		Short: "Create, list, describe, delete and configure topics",
		Args:  cobra.NoArgs,
	}
	cf := clientflags.Add(cmd)
	cmd.AddCommand(
		newCreateCommand(cf),
		newListCommand(cf),
		newDescribeCommand(cf),
		newDeleteCommand(cf),
		newAlterConfigCommand(cf),
	)
	return cmd
}

// Package clientflags holds what every client command of the CLI shares: the
// --brokers flag, STREAMLITE_* environment defaults for flags, the franz-go
// clients built from them, and the rendering of broker errors.
//
// The client commands (topic, produce, consume, bench) talk to the cluster
// only through the Kafka protocol, so they work against any Kafka cluster,
// not only a streamlite broker.
package clientflags

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// DefaultBrokers is the seed address used when neither --brokers nor
// STREAMLITE_BROKERS is set: where `streamlite up` listens by default.
const DefaultBrokers = "127.0.0.1:9092"

// EnvPrefix prefixes the environment variable that gives a flag its default:
// flag --record-size is read from STREAMLITE_RECORD_SIZE when not set on the
// command line.
const EnvPrefix = "STREAMLITE_"

// Flags is the connection configuration shared by client commands. The zero
// value is not registered; use Add.
type Flags struct {
	// Brokers are the seed addresses (host:port); --brokers, STREAMLITE_BROKERS.
	Brokers []string
}

// Add registers --brokers (-b) as a persistent flag of cmd, so that cmd and
// its subcommands share it, and installs ApplyEnv as cmd's
// PersistentPreRunE. It returns the Flags that the flags fill.
func Add(cmd *cobra.Command) *Flags {
	f := &Flags{}
	cmd.PersistentFlags().StringSliceVarP(&f.Brokers, "brokers", "b", []string{DefaultBrokers},
		"comma-separated seed broker addresses (env "+EnvPrefix+"BROKERS)")
	cmd.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error { return ApplyEnv(cmd) }
	return f
}

// EnvName returns the environment variable that defaults flag name:
// "record-size" becomes "STREAMLITE_RECORD_SIZE".
func EnvName(flag string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// ApplyEnv sets every flag of cmd (its own and the ones it inherits) that was
// not given on the command line from its STREAMLITE_* environment variable,
// if that variable is set and not empty. Command-line flags win over the
// environment; the environment wins over built-in defaults.
func ApplyEnv(cmd *cobra.Command) error {
	var err error
	cmd.Flags().VisitAll(func(fl *pflag.Flag) {
		if err != nil || fl.Changed || fl.Name == "help" {
			return
		}
		v, ok := os.LookupEnv(EnvName(fl.Name))
		if !ok || v == "" {
			return
		}
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			if e := sv.Replace(splitList(v)); e != nil {
				err = fmt.Errorf("%s=%q: %w", EnvName(fl.Name), v, e)
			}
			return
		}
		if e := fl.Value.Set(v); e != nil {
			err = fmt.Errorf("%s=%q: %w", EnvName(fl.Name), v, e)
		}
	})
	return err
}

func splitList(v string) []string {
	parts := strings.Split(v, ",")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// SeedBrokers returns the broker list with blanks removed, or an error if it
// is empty.
func (f *Flags) SeedBrokers() ([]string, error) {
	var out []string
	for _, b := range f.Brokers {
		out = append(out, splitList(b)...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no brokers: set --brokers or %sBROKERS", EnvPrefix)
	}
	return out, nil
}

// NewClient returns a kgo client seeded with the brokers plus opts. The
// caller closes it.
func (f *Flags) NewClient(opts ...kgo.Opt) (*kgo.Client, error) {
	seeds, err := f.SeedBrokers()
	if err != nil {
		return nil, err
	}
	all := append([]kgo.Opt{kgo.SeedBrokers(seeds...)}, opts...)
	cl, err := kgo.NewClient(all...)
	if err != nil {
		return nil, fmt.Errorf("creating client: %w", err)
	}
	return cl, nil
}

// NewAdmin returns an admin client over a new kgo client. Closing the admin
// client closes the kgo client.
func (f *Flags) NewAdmin(opts ...kgo.Opt) (*kadm.Client, error) {
	cl, err := f.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	return kadm.NewClient(cl), nil
}

// Package schema implements `streamlite schema`: register, get, list,
// check, delete and config, against a Confluent-compatible schema registry
// (streamlite's own, or any other) through franz-go's sr client. The
// registry is --registry, or STREAMLITE_SCHEMA_REGISTRY, or
// http://127.0.0.1:8081 where `streamlite up` serves it. Errors answered
// by the registry are shown as its message and error_code.
package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/sr"
)

// DefaultRegistry is the registry used when neither --registry nor
// STREAMLITE_SCHEMA_REGISTRY is set: where `streamlite up` serves it.
const DefaultRegistry = "http://127.0.0.1:8081"

// EnvRegistry is the environment variable that defaults --registry.
const EnvRegistry = "STREAMLITE_SCHEMA_REGISTRY"

// flags is the configuration shared by the verbs.
type flags struct {
	registry string
}

// NewCommand returns the `schema` command with its verbs.
func NewCommand() *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:     "schema",
		Aliases: []string{"schemas", "sr"},
		Short:   "Register, read, check and delete schemas in a schema registry",
		Args:    cobra.NoArgs,
	}
	cmd.PersistentFlags().StringVar(&f.registry, "registry", DefaultRegistry, "schema registry URL (env "+EnvRegistry+")")
	cmd.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if fl := cmd.Flags().Lookup("registry"); fl != nil && !fl.Changed {
			if v := os.Getenv(EnvRegistry); v != "" {
				f.registry = v
			}
		}
		return nil
	}
	cmd.AddCommand(
		newRegisterCommand(f),
		newGetCommand(f),
		newListCommand(f),
		newCheckCommand(f),
		newDeleteCommand(f),
		newConfigCommand(f),
	)
	return cmd
}

func (f *flags) client() (*sr.Client, error) {
	u := strings.TrimRight(f.registry, "/")
	if u == "" {
		return nil, errors.New("no schema registry: set --registry or " + EnvRegistry)
	}
	if !strings.Contains(u, "://") {
		u = "http://" + u
	}
	cl, err := sr.NewClient(sr.URLs(u))
	if err != nil {
		return nil, fmt.Errorf("schema registry %s: %w", u, err)
	}
	return cl, nil
}

// registryError renders err from the registry as one line: what was being
// done, then the registry's message and error_code.
func registryError(what string, err error) error {
	var re *sr.ResponseError
	if errors.As(err, &re) {
		msg := strings.TrimSpace(re.Message)
		if msg == "" {
			msg = strings.TrimSpace(string(re.Raw))
		}
		if msg == "" {
			msg = fmt.Sprintf("HTTP %d", re.StatusCode)
		}
		if re.ErrorCode != 0 {
			return fmt.Errorf("%s: %s (error_code %d)", what, msg, re.ErrorCode)
		}
		return fmt.Errorf("%s: %s (HTTP %d)", what, msg, re.StatusCode)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// parseVersion parses a --version value: a positive number or "latest"
// (-1, sr's spelling of latest).
func parseVersion(v string) (int, error) {
	if strings.EqualFold(v, "latest") || v == "" {
		return -1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("invalid --version %q: want a positive number or latest", v)
	}
	return n, nil
}

func versionString(v int) string {
	if v == -1 {
		return "latest"
	}
	return strconv.Itoa(v)
}

// parseType parses --type: AVRO, JSON or PROTOBUF, any case.
func parseType(t string) (sr.SchemaType, error) {
	switch strings.ToUpper(t) {
	case "", "AVRO":
		return sr.TypeAvro, nil
	case "JSON", "JSONSCHEMA", "JSON_SCHEMA":
		return sr.TypeJSON, nil
	case "PROTOBUF", "PROTO":
		return sr.TypeProtobuf, nil
	}
	return 0, fmt.Errorf("unknown schema type %q: want AVRO, JSON or PROTOBUF", t)
}

// parseLevel parses a compatibility level, any case, dashes for underscores.
func parseLevel(l string) (sr.CompatibilityLevel, error) {
	var lvl sr.CompatibilityLevel
	if err := lvl.UnmarshalText([]byte(strings.ToUpper(strings.ReplaceAll(l, "-", "_")))); err != nil {
		return 0, fmt.Errorf("unknown compatibility level %q: want NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL or FULL_TRANSITIVE", l)
	}
	return lvl, nil
}

// parseRef parses --ref name=subject:version.
func parseRef(r string) (sr.SchemaReference, error) {
	bad := fmt.Errorf("invalid --ref %q: want name=subject:version", r)
	name, rest, ok := strings.Cut(r, "=")
	if !ok || name == "" {
		return sr.SchemaReference{}, bad
	}
	i := strings.LastIndex(rest, ":")
	if i <= 0 {
		return sr.SchemaReference{}, bad
	}
	v, err := strconv.Atoi(rest[i+1:])
	if err != nil || v <= 0 {
		return sr.SchemaReference{}, bad
	}
	return sr.SchemaReference{Name: name, Subject: rest[:i], Version: v}, nil
}

// readSchema reads --file: a path, or "-" for standard input.
func readSchema(cmd *cobra.Command, file string) (string, error) {
	if file == "" {
		return "", errors.New("--file is required (a path, or - for standard input)")
	}
	var (
		b   []byte
		err error
	)
	if file == "-" {
		b, err = io.ReadAll(cmd.InOrStdin())
	} else {
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return "", fmt.Errorf("reading schema: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("reading schema: %s is empty", file)
	}
	return s, nil
}

// checkOutput validates -o against the formats a verb knows.
func checkOutput(output string, formats ...string) error {
	for _, f := range formats {
		if output == f {
			return nil
		}
	}
	return fmt.Errorf("invalid --output %q: want %s", output, strings.Join(formats, " or "))
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
)

// defaultClientID is the Kafka client id when Config.ClientID is empty.
const defaultClientID = "streamlite-tui"

// Client is the TUI's connection to a cluster, its schema registry and its SQL server. It is
// safe for concurrent use; Close releases it.
type Client struct {
	cfg  Config
	kcl  *kgo.Client
	adm  *kadm.Client
	sr   *sr.Client   // nil without a registry
	srh  *http.Client // the registry client's HTTP client; nil without a registry
	http *http.Client // for the SQL server; nil without one
	dec  *decoder
}

// New builds a Client for cfg: a franz-go client and admin client for cfg.Brokers, a
// registry client when cfg.Registry is set and an HTTP client when cfg.SQLServer is set. It
// does not dial; the first request does. It fails only on a config it cannot use (no
// brokers, a malformed registry URL).
func New(cfg Config) (*Client, error) { return newClient(cfg) }

// newClient is New with extra client options (tests add hooks).
func newClient(cfg Config, extra ...kgo.Opt) (*Client, error) {
	if len(cfg.Brokers) == 0 {
		return nil, errors.New("cluster: no broker addresses")
	}
	if cfg.ClientID == "" {
		cfg.ClientID = defaultClientID
	}
	cfg.Registry = strings.TrimRight(cfg.Registry, "/")
	cfg.SQLServer = strings.TrimRight(cfg.SQLServer, "/")
	for _, u := range []struct{ what, url string }{{"schema registry", cfg.Registry}, {"SQL server", cfg.SQLServer}} {
		if u.url == "" {
			continue
		}
		if pu, err := url.Parse(u.url); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return nil, fmt.Errorf("cluster: the %s URL %q is not http(s)://host:port", u.what, u.url)
		}
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.ClientID(cfg.ClientID),
		kgo.RetryTimeout(5 * time.Second),
		kgo.DialTimeout(3 * time.Second),
		kgo.RequestRetries(2),
		kgo.RecordPartitioner(manualOrKeyPartitioner{kgo.StickyKeyPartitioner(nil)}),
		kgo.UnknownTopicRetries(2),
		kgo.RecordDeliveryTimeout(30 * time.Second),
	}
	kcl, err := kgo.NewClient(append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("cluster: building the Kafka client: %w", err)
	}
	c := &Client{cfg: cfg, kcl: kcl, adm: kadm.NewClient(kcl)}
	if cfg.Registry != "" {
		c.srh = &http.Client{Timeout: 30 * time.Second}
		c.sr, err = sr.NewClient(sr.URLs(cfg.Registry), sr.UserAgent(cfg.ClientID), sr.HTTPClient(c.srh))
		if err != nil {
			kcl.Close()
			return nil, fmt.Errorf("cluster: building the schema registry client for %s: %w", cfg.Registry, err)
		}
	}
	if cfg.SQLServer != "" {
		c.http = &http.Client{Timeout: 30 * time.Second}
	}
	c.dec = newDecoder(c.sr)
	return c, nil
}

// Close releases the client's connections. Readers opened from it have their own clients
// and must be closed separately.
func (c *Client) Close() {
	c.kcl.Close()
	for _, h := range []*http.Client{c.srh, c.http} {
		if h != nil {
			h.CloseIdleConnections()
		}
	}
}

// Config is the configuration the client was built with, defaults filled in.
func (c *Client) Config() Config { return c.cfg }

// HasRegistry reports whether the client was given a schema registry.
func (c *Client) HasRegistry() bool { return c.sr != nil }

// HasSQL reports whether the client was given a SQL server.
func (c *Client) HasSQL() bool { return c.http != nil }

// Ping sends one metadata request (no topics). Its error names the broker addresses that
// were tried.
func (c *Client) Ping(ctx context.Context) error {
	if _, err := c.adm.BrokerMetadata(ctx); err != nil {
		return fmt.Errorf("no answer from %s: %w", c.brokersString(), err)
	}
	return nil
}

// brokersString is the seed addresses for error messages.
func (c *Client) brokersString() string { return strings.Join(c.cfg.Brokers, ",") }

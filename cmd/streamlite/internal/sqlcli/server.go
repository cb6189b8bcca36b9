package sqlcli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clientflags"
	"github.com/streamlite/streamlite/sql/rest"
	"github.com/streamlite/streamlite/sql/runtime"
)

// Service is a running SQL service: the REST listener and the runtime
// behind it, which starts in the background.
type Service struct {
	ln     net.Listener
	http   *http.Server
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu  sync.Mutex // guards srv
	srv *runtime.Server
}

// ErrSQLAddrInUse is returned by Serve when the REST address is taken.
var ErrSQLAddrInUse = errors.New("SQL server address already in use")

// Serve listens on addr and starts the SQL runtime against brokers in
// the background; the REST API answers once it has replayed its catalog.
func Serve(addr string, brokers []string, serviceID string, log *slog.Logger) (*Service, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		var oe *net.OpError
		if errors.As(err, &oe) && errors.Is(oe.Err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("%w: %s", ErrSQLAddrInUse, addr)
		}
		return nil, fmt.Errorf("SQL server: listening on %s: %w", addr, err)
	}
	h := rest.NewHandler(serviceID, log)
	// HTTP/1.1 and cleartext HTTP/2, as ksqlDB serves both.
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	s := &Service{ln: ln, http: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, Protocols: &protocols}}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("sql: REST server stopped", "err", err)
		}
	}()
	go func() {
		defer s.wg.Done()
		for ctx.Err() == nil {
			srv, err := runtime.Start(ctx, runtime.Config{Brokers: brokers, ServiceID: serviceID, Logger: log})
			if err == nil {
				s.mu.Lock()
				s.srv = srv
				s.mu.Unlock()
				h.SetServer(srv)
				return
			}
			if ctx.Err() == nil {
				log.Warn("sql: runtime not started, retrying", "err", err)
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
		}
	}()
	return s, nil
}

// Addr is the REST listener's address.
func (s *Service) Addr() string { return s.ln.Addr().String() }

// Close stops the REST API and the runtime.
func (s *Service) Close() error {
	s.cancel()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.http.Shutdown(ctx)
	s.wg.Wait()
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
	return err
}

// NewServerCommand returns `streamlite sql-server`.
func NewServerCommand() *cobra.Command {
	var listen, service, logLevel string
	cmd := &cobra.Command{
		Use:   "sql-server",
		Short: "Run the SQL server (ksqlDB-compatible REST, persistent queries) beside any Kafka cluster",
		Long: `Run streamlite's SQL server against the Kafka cluster named by --brokers: the same
persistent queries ` + "`streamlite up`" + ` runs, reaching the cluster only through the Kafka protocol,
with its catalog in the topic _streamlite-sql-<service-id>__command_topic.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return fmt.Errorf("--log-level %q: want debug, info, warn or error", logLevel)
			}
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			brokers, _ := cmd.Flags().GetStringSlice("brokers")
			s, err := Serve(listen, brokers, service, log)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "streamlite sql-server\n  sql\thttp://%s\n  brokers\t%v\n", s.Addr(), brokers)
			<-cmd.Context().Done()
			return s.Close()
		},
	}
	clientflags.Add(cmd)
	cmd.Flags().StringVar(&listen, "listen", rest.DefaultAddr, "REST listener address")
	cmd.Flags().StringVar(&service, "service-id", "default", "SQL service id: names its internal topics and groups")
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	return cmd
}

package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/engine"
	"github.com/streamlite/streamlite/sql/parser"
)

// Config configures a Server.
type Config struct {
	// Brokers are the Kafka cluster's seed addresses.
	Brokers []string
	// ServiceID names this SQL service; its internal topics, consumer
	// groups and transactional ids start with _streamlite-sql-<ServiceID>_.
	// Default "default".
	ServiceID string
	// Logger receives the runtime's log; default slog.Default().
	Logger *slog.Logger
	// ClientOpts are added to every franz-go client the server makes.
	ClientOpts []kgo.Opt
	// MaxPollRecords bounds the records one transaction processes;
	// default 10,000.
	MaxPollRecords int
}

// Server is the SQL runtime: the catalog, its persistent queries each
// running as a Kafka application, and the command topic that makes both
// survive restarts. Safe for concurrent use.
type Server struct {
	cfg    Config
	log    *slog.Logger
	prefix string
	cl     *kgo.Client // the command topic's producer and admin requests
	adm    *kadm.Client
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex // guards eng and runners; statements run one at a time
	eng     *engine.Engine
	runners map[string]*runner

	// pushSlots bounds the push queries running rows through their query
	// at the same time (Select.Push), so that however many there are they
	// leave CPUs to the broker beside them.
	pushSlots chan struct{}
	// taps are the consumers push queries from latest share.
	taps taps
	// pushGov holds push queries back while the process is short of CPU.
	pushGov *pushGovernor
}

// command is one record of the command topic: a statement that changed
// the catalog, with the session properties it ran with.
type command struct {
	Statement string            `json:"statement"`
	Props     map[string]string `json:"props,omitempty"`
}

// CommandTopic is the name of the topic that holds a service's statements.
func CommandTopic(serviceID string) string {
	return "_streamlite-sql-" + serviceID + "__command_topic"
}

// Start connects to the cluster, replays the command topic into the
// catalog and starts every persistent query it holds.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.ServiceID == "" {
		cfg.ServiceID = "default"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxPollRecords <= 0 {
		cfg.MaxPollRecords = 10_000
	}
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(cfg.Brokers...), kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerLinger(0)}, cfg.ClientOpts...)...)
	if err != nil {
		return nil, fmt.Errorf("sql: client: %w", err)
	}
	s := &Server{
		cfg: cfg, log: cfg.Logger, prefix: "_streamlite-sql-" + cfg.ServiceID + "_",
		cl: cl, adm: kadm.NewClient(cl), eng: engine.New(nil), runners: map[string]*runner{},
		pushSlots: make(chan struct{}, pushConcurrency()), pushGov: newPushGovernor(pushConcurrency(), goruntime.GOMAXPROCS(0)),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if err := s.replay(ctx); err != nil {
		cl.Close()
		return nil, err
	}
	s.mu.Lock()
	s.reconcile()
	s.mu.Unlock()
	return s, nil
}

// Close stops every query and the server's clients. The queries' state
// and offsets stay in Kafka; the next Start resumes them.
func (s *Server) Close() {
	s.mu.Lock()
	rs := slices.Collect(maps.Values(s.runners))
	s.runners = map[string]*runner{}
	s.mu.Unlock()
	s.cancel()
	var wg sync.WaitGroup
	for _, r := range rs {
		wg.Go(r.stop)
	}
	wg.Wait()
	s.taps.wg.Wait() // they end with s.ctx
	s.cl.Close()
}

// replay reads the command topic from the start and runs its statements.
func (s *Server) replay(ctx context.Context) error {
	topic := CommandTopic(s.cfg.ServiceID)
	if err := s.ensureTopic(ctx, topic, 1, map[string]*string{"retention.ms": ptr("-1"), "cleanup.policy": ptr("delete")}); err != nil {
		return fmt.Errorf("sql: command topic: %w", err)
	}
	ends, err := s.adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return fmt.Errorf("sql: command topic end: %w", err)
	}
	end, ok := ends.Lookup(topic, 0)
	if !ok || end.Err != nil {
		return fmt.Errorf("sql: command topic end: %v", end.Err)
	}
	if end.Offset == 0 {
		return nil
	}
	rc, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(s.cfg.Brokers...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}),
	}, s.cfg.ClientOpts...)...)
	if err != nil {
		return fmt.Errorf("sql: command topic reader: %w", err)
	}
	defer rc.Close()
	n := 0
	for next := int64(0); next < end.Offset; {
		fs := rc.PollFetches(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := fs.Err0(); err != nil {
			return fmt.Errorf("sql: reading the command topic: %w", err)
		}
		fs.EachRecord(func(rec *kgo.Record) {
			next = rec.Offset + 1
			var c command
			if err := json.Unmarshal(rec.Value, &c); err != nil {
				s.log.Error("sql: unreadable command skipped", "offset", rec.Offset, "err", err)
				return
			}
			s.eng.SetProps(c.Props)
			if err := s.eng.Execute(c.Statement); err != nil {
				s.log.Error("sql: command failed on replay", "offset", rec.Offset, "statement", c.Statement, "err", err)
				return
			}
			n++
		})
	}
	s.eng.SetProps(nil)
	s.log.Info("sql: catalog restored", "commands", n, "queries", len(s.eng.Queries()))
	return nil
}

// ResultKind says what a Result holds.
type ResultKind int

// Kinds of results.
const (
	ResultStatus     ResultKind = iota // a command's status
	ResultStreams                      // SHOW STREAMS
	ResultTables                       // SHOW TABLES
	ResultQueries                      // SHOW QUERIES
	ResultProperties                   // SHOW PROPERTIES
	ResultSource                       // DESCRIBE
	ResultNone                         // nothing to show (INSERT VALUES)
	ResultTopics                       // SHOW TOPICS
)

// Result is the outcome of one statement.
type Result struct {
	Kind      ResultKind
	Statement string
	// Message and QueryID are set for ResultStatus; CommandID and
	// CommandSeq too for a statement written to the command topic (its
	// offset there).
	Message    string
	QueryID    string
	CommandID  string
	CommandSeq int64
	Sources    []SourceInfo
	Queries    []QueryInfo
	Props      map[string]string
	// Topics and TopicsExtended are set for ResultTopics: SHOW TOPICS
	// EXTENDED fills the consumer counts.
	Topics         []TopicInfo
	TopicsExtended bool
}

// TopicInfo describes a Kafka topic for SHOW TOPICS.
type TopicInfo struct {
	Name string
	// Replicas is each partition's replica count, by partition.
	Replicas []int
	// Consumers counts the group members' assignments of its partitions,
	// ConsumerGroups the groups consuming it (EXTENDED only), as ksqlDB
	// counts them.
	Consumers, ConsumerGroups int
}

// SourceInfo describes a stream or table.
type SourceInfo struct {
	Name, Topic, KeyFormat, ValueFormat string
	Table, Windowed                     bool
	Schema                              string // "ID INTEGER KEY, V STRING"
	Columns                             []ColumnInfo
}

// ColumnInfo describes a column of a source.
type ColumnInfo struct {
	Name, Type string
	Key        bool
}

// QueryInfo describes a persistent query.
type QueryInfo struct {
	ID string
	// Statement is the statement that created the query (CREATE ... AS
	// SELECT or INSERT INTO ... SELECT) as written, ending in ';' as
	// ksqlDB's queryString does.
	Statement       string
	Sink, SinkTopic string
	State           QueryState
	Error           string
	// Processed counts input records committed; Skipped those that did
	// not deserialize; Late those dropped because their windows had
	// closed.
	Processed, Skipped, Late int64
}

// StatementError is a statement the server refused, with its index in the
// script and, for a syntax error, its line and column.
type StatementError struct {
	Index        int
	Statement    string
	Line, Column int
	Parse        bool
	Err          error
}

func (e *StatementError) Error() string { return e.Err.Error() }
func (e *StatementError) Unwrap() error { return e.Err }

// Execute runs a script of statements with session properties props. SET
// and UNSET change props for the statements after them. It stops at the
// first failing statement and returns the results before it with a
// *StatementError.
func (s *Server) Execute(ctx context.Context, script string, props map[string]string) ([]Result, error) {
	stmts, perr := parser.ParseScript(script)
	if perr != nil {
		var pe *parser.Error
		se := &StatementError{Index: len(stmts), Parse: true, Err: perr}
		if errors.As(perr, &pe) {
			se.Line, se.Column = pe.Line, pe.Column
		}
		// Statements before the error still run, as ksqlDB's script
		// runner does; the error comes after them.
		res, err := s.executeAll(ctx, stmts, props)
		if err != nil {
			return res, err
		}
		return res, se
	}
	return s.executeAll(ctx, stmts, props)
}

func (s *Server) executeAll(ctx context.Context, stmts []ast.Statement, props map[string]string) ([]Result, error) {
	props = maps.Clone(props)
	if props == nil {
		props = map[string]string{}
	}
	var out []Result
	for i, st := range stmts {
		res, err := s.execute(ctx, st, props)
		if err != nil {
			se := &StatementError{Index: i, Statement: st.Source(), Err: err}
			var ee *engine.Error
			if errors.As(err, &ee) {
				se.Line, se.Column, se.Parse = ee.Line, ee.Column, ee.Phase == engine.PhaseParse
			}
			return out, se
		}
		res.Statement = st.Source()
		out = append(out, res)
	}
	return out, nil
}

// execute runs one statement.
func (s *Server) execute(ctx context.Context, st ast.Statement, props map[string]string) (Result, error) {
	switch st := st.(type) {
	case *ast.SetProperty:
		props[st.Name] = st.Value
		return Result{Message: fmt.Sprintf("Successfully changed local property '%s' to '%s'.", st.Name, st.Value)}, nil
	case *ast.UnsetProperty:
		delete(props, st.Name)
		return Result{Message: fmt.Sprintf("Successfully unset local property '%s'.", st.Name)}, nil
	case *ast.Show:
		return s.show(ctx, st, props)
	case *ast.Describe:
		return s.describe(st)
	case *ast.InsertValues:
		if err := s.Insert(ctx, st.Source(), props); err != nil {
			return Result{}, err
		}
		return Result{Kind: ResultNone}, nil
	case *ast.Select, *ast.Print:
		return Result{}, ksqlErr("The following statement types should be issued to the websocket endpoint '/query':\n\t* PRINT\n\t* SELECT")
	case *ast.CreateSource, *ast.CreateAsSelect, *ast.InsertInto, *ast.DropSource, *ast.Terminate:
	default:
		return Result{}, fmt.Errorf("statement not supported by the SQL server yet: %s", firstLine(st.Source()))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	before := map[string]bool{}
	for _, q := range s.eng.Queries() {
		before[q.ID()] = true
	}
	var dropped *engine.Source
	switch st := st.(type) {
	case *ast.CreateSource:
		if err := s.checkSourceTopic(ctx, st); err != nil {
			return Result{}, err
		}
	case *ast.DropSource:
		dropped = s.eng.Source(st.Name)
	}
	s.eng.SetProps(props)
	err := s.eng.Execute(st.Source())
	s.eng.SetProps(nil)
	if err != nil {
		return Result{}, err
	}
	seq, err := s.persist(ctx, command{Statement: st.Source(), Props: props})
	if err != nil {
		return Result{}, fmt.Errorf("the statement ran but could not be written to the command topic, so it will not survive a restart: %w", err)
	}
	res := Result{CommandSeq: seq, CommandID: commandID(st)}
	switch st := st.(type) {
	case *ast.CreateSource:
		res.Message = "Stream created"
		if st.Kind == ast.KindTable {
			res.Message = "Table created"
		}
	case *ast.CreateAsSelect, *ast.InsertInto:
		for _, q := range s.eng.Queries() {
			if !before[q.ID()] {
				res.QueryID = q.ID()
				res.Message = "Created query with ID " + q.ID()
			}
		}
	case *ast.DropSource:
		if dropped != nil {
			res.Message = fmt.Sprintf("Source `%s` (topic: %s) was dropped.", dropped.Name, dropped.Topic)
			if st.DeleteTopic {
				if _, err := s.adm.DeleteTopics(ctx, dropped.Topic); err != nil {
					res.Message += " Its topic could not be deleted: " + err.Error()
				}
			}
		}
	case *ast.Terminate:
		res.Message = "Query terminated."
	}
	s.reconcile()
	return res, nil
}

// commandID names a command as ksqlDB does: "stream/`NAME`/create",
// "table/`NAME`/drop", "terminate/CSAS_X_0/execute".
func commandID(st ast.Statement) string {
	kind := func(k ast.SourceKind) string { return strings.ToLower(k.String()) }
	switch st := st.(type) {
	case *ast.CreateSource:
		return kind(st.Kind) + "/`" + st.Name + "`/create"
	case *ast.CreateAsSelect:
		return kind(st.Kind) + "/`" + st.Name + "`/create"
	case *ast.InsertInto:
		return "stream/`" + st.Target + "`/create"
	case *ast.DropSource:
		return kind(st.Kind) + "/`" + st.Name + "`/drop"
	case *ast.Terminate:
		if st.All {
			return "terminate/ALL/execute"
		}
		return "terminate/" + st.QueryID + "/execute"
	}
	return ""
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}

// persist appends c to the command topic and returns its offset, the
// command's sequence number.
func (s *Server) persist(ctx context.Context, c command) (int64, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return 0, err
	}
	rec, err := s.cl.ProduceSync(ctx, &kgo.Record{Topic: CommandTopic(s.cfg.ServiceID), Value: b}).First()
	if err != nil {
		return 0, err
	}
	return rec.Offset, nil
}

// reconcile starts a runner for every query of the catalog without one
// and stops (and cleans up after) those whose query was terminated.
// Called with s.mu held.
func (s *Server) reconcile() {
	live := map[string]bool{}
	for _, q := range s.eng.Queries() {
		live[q.ID()] = true
		if _, ok := s.runners[q.ID()]; ok {
			continue
		}
		r := &runner{
			q: q, prefix: s.prefix + "query_" + q.ID(), brokers: s.cfg.Brokers, extra: s.cfg.ClientOpts,
			log: s.log, maxRecs: s.cfg.MaxPollRecords,
		}
		s.runners[q.ID()] = r
		if err := s.prepareTopics(s.ctx, r); err != nil {
			r.state, r.err = StateError, err
			s.log.Error("sql: query not started", "query", q.ID(), "err", err)
			continue
		}
		r.start(s.ctx)
	}
	for id, r := range s.runners {
		if live[id] {
			continue
		}
		delete(s.runners, id)
		r.stop()
		ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
		if _, err := s.adm.DeleteGroup(ctx, r.prefix); err != nil {
			s.log.Warn("sql: deleting a terminated query's group", "query", id, "err", err)
		}
		if r.q.Stateful() {
			if _, err := s.adm.DeleteTopics(ctx, r.changelogTopic()); err != nil {
				s.log.Warn("sql: deleting a terminated query's changelog", "query", id, "err", err)
			}
		}
		cancel()
	}
}

// prepareTopics creates the query's sink topic (with the WITH clause's
// partition count, else its input's) and its changelog.
func (s *Server) prepareTopics(ctx context.Context, r *runner) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	sink := r.q.Sink()
	parts := sink.Partitions
	if parts == 0 {
		td, err := s.listTopics(ctx, r.q.Inputs()[0])
		if err != nil {
			return fmt.Errorf("reading input topic %s: %w", r.q.Inputs()[0], err)
		}
		if d, ok := td[r.q.Inputs()[0]]; ok && d.Err == nil {
			parts = len(d.Partitions)
		}
		parts = max(parts, 1)
	}
	var cfg map[string]*string
	if windowed, _ := r.q.Windowed(); sink.Table && !windowed {
		cfg = map[string]*string{"cleanup.policy": ptr("compact")}
	}
	if err := s.ensureTopic(ctx, sink.Topic, int32(parts), cfg); err != nil {
		return fmt.Errorf("sink topic %s: %w", sink.Topic, err)
	}
	if r.q.Stateful() {
		if err := s.ensureTopic(ctx, r.changelogTopic(), 1, map[string]*string{"cleanup.policy": ptr("compact")}); err != nil {
			return fmt.Errorf("changelog topic: %w", err)
		}
	}
	return nil
}

// ensureTopic creates topic unless it exists.
func (s *Server) ensureTopic(ctx context.Context, topic string, partitions int32, configs map[string]*string) error {
	resp, err := s.adm.CreateTopic(ctx, partitions, -1, configs, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		return err
	}
	return nil
}

// checkSourceTopic refuses CREATE STREAM|TABLE over a missing topic
// unless PARTITIONS says how to create it, as ksqlDB does, and creates it
// when it does.
func (s *Server) checkSourceTopic(ctx context.Context, st *ast.CreateSource) error {
	var topic string
	parts := 0
	for _, p := range st.Properties {
		switch p.Name {
		case "KAFKA_TOPIC":
			topic = p.Value.Text
		case "PARTITIONS":
			n, err := strconv.Atoi(p.Value.Text)
			if err != nil || n <= 0 {
				return fmt.Errorf("invalid PARTITIONS: %s", p.Value.Text)
			}
			parts = n
		}
	}
	if topic == "" {
		return nil // the engine reports the missing property
	}
	td, err := s.listTopics(ctx, topic)
	if err != nil {
		return fmt.Errorf("looking up topic %s: %w", topic, err)
	}
	if d, ok := td[topic]; ok && d.Err == nil {
		return nil
	}
	if parts == 0 {
		return ksqlErr("Topic '%s' does not exist. If you want to create a new topic for the %s please re-run the statement providing the required 'PARTITIONS' configuration in the WITH clause (and optionally 'REPLICAS'). For example: %s",
			topic, strings.ToLower(st.Kind.String()), "CREATE "+st.Kind.String()+" "+st.Name+" (...) WITH (KAFKA_TOPIC='"+topic+"', PARTITIONS=2, ...);")
	}
	return s.ensureTopic(ctx, topic, int32(parts), nil)
}

func ptr(s string) *string { return &s }

// ksqlErr is a statement error in ksqlDB's own wording (which starts
// with a capital letter).
func ksqlErr(format string, args ...any) error {
	return &engine.Error{Phase: engine.PhaseStatement, Msg: fmt.Sprintf(format, args...)}
}

// Queries describes the persistent queries.
func (s *Server) Queries() []QueryInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []QueryInfo
	for _, q := range s.eng.Queries() {
		qi := QueryInfo{ID: q.ID(), Statement: q.Statement() + ";", Sink: q.Sink().Name, SinkTopic: q.Sink().Topic, Skipped: q.Skipped(), Late: q.Late()}
		if r := s.runners[q.ID()]; r != nil {
			st, err := r.status()
			qi.State, qi.Processed = st, r.processed.Load()
			if err != nil {
				qi.Error = err.Error()
			}
		}
		out = append(out, qi)
	}
	return out
}

func (s *Server) sources(tables bool) []SourceInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []SourceInfo
	for _, src := range s.eng.Sources() {
		if src.Table == tables {
			out = append(out, sourceInfo(src))
		}
	}
	return out
}

func sourceInfo(src *engine.Source) SourceInfo {
	si := SourceInfo{Name: src.Name, Topic: src.Topic, KeyFormat: string(src.KeyFormat), ValueFormat: string(src.ValueFormat), Table: src.Table, Schema: src.SchemaString()}
	for _, c := range src.Columns {
		si.Columns = append(si.Columns, ColumnInfo{Name: c.Name, Type: c.Type.String(), Key: c.NS == engine.NSKey})
	}
	return si
}

func (s *Server) show(ctx context.Context, st *ast.Show, props map[string]string) (Result, error) {
	switch st.What {
	case ast.ShowStreams:
		return Result{Kind: ResultStreams, Sources: s.sources(false)}, nil
	case ast.ShowTables:
		return Result{Kind: ResultTables, Sources: s.sources(true)}, nil
	case ast.ShowTopics:
		topics, err := s.topics(ctx, st.All, st.Extended)
		if err != nil {
			return Result{}, err
		}
		return Result{Kind: ResultTopics, Topics: topics, TopicsExtended: st.Extended}, nil
	case ast.ShowQueries:
		return Result{Kind: ResultQueries, Queries: s.Queries()}, nil
	case ast.ShowProperties:
		return Result{Kind: ResultProperties, Props: maps.Clone(props)}, nil
	}
	return Result{}, fmt.Errorf("SHOW of this kind is not supported by the SQL server yet")
}

func (s *Server) describe(st *ast.Describe) (Result, error) {
	if st.Function {
		return Result{}, errors.New("DESCRIBE FUNCTION is not supported by the SQL server yet")
	}
	s.mu.Lock()
	src := s.eng.Source(st.Name)
	s.mu.Unlock()
	if src == nil {
		return Result{}, ksqlErr("Could not find STREAM/TABLE '%s' in the Metastore", st.Name)
	}
	return Result{Kind: ResultSource, Sources: []SourceInfo{sourceInfo(src)}}, nil
}

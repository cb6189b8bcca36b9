package kafka

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// request is one decoded request and where it came from.
type request struct {
	ctx      context.Context // ends when the connection or the server closes
	conn     *conn
	key      int16
	version  int16
	corr     int32
	clientID string
	kreq     kmsg.Request
}

// reply is a response on its way to the writer.
type reply struct {
	corr int32
	resp kmsg.Response
	// ready, if not nil, is closed when resp is complete (acks=all produce).
	ready <-chan struct{}
	// skip: nothing is written (acks=0 produce).
	skip bool
	// release, if not nil, is called once resp has been written or dropped.
	release func()
	// sizeHint is roughly how many bytes resp encodes to, when that is large (fetch).
	sizeHint int
	// key and reqBytes describe the request, for the Observer.
	key      int16
	reqBytes int
}

// conn is one client connection: a reader goroutine (serve) and a writer goroutine.
type conn struct {
	s       *Server
	nc      net.Conn
	ctx     context.Context
	cancel  context.CancelFunc
	replies chan *reply // reader → writer, in request order
	remote  string
}

func newConn(s *Server, nc net.Conn) *conn {
	ctx, cancel := context.WithCancel(s.ctx)
	return &conn{
		s:       s,
		nc:      nc,
		ctx:     ctx,
		cancel:  cancel,
		replies: make(chan *reply, 32),
		remote:  nc.RemoteAddr().String(),
	}
}

// close ends the connection; safe to call more than once and from any goroutine.
func (c *conn) close() {
	c.cancel()
	_ = c.nc.Close()
}

// serve runs the reader on the calling goroutine and the writer on another, returning when
// both are done.
func (c *conn) serve() {
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		c.writeLoop()
	}()
	err := c.readLoop()
	close(c.replies)
	c.close()
	<-writerDone
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && c.ctx.Err() == nil {
		c.s.logger.Warn("closing client connection", "remote", c.remote, "reason", err)
	}
}

// errCloseConn wraps reasons to drop a connection that the client caused.
var errCloseConn = errors.New("kafka: bad request")

func (c *conn) readLoop() error {
	br := bufio.NewReaderSize(c.nc, 64<<10)
	var sizeBuf [4]byte
	for {
		if _, err := io.ReadFull(br, sizeBuf[:]); err != nil {
			return err
		}
		size := int32(binary.BigEndian.Uint32(sizeBuf[:]))
		if size < 8 || size > c.s.cfg.MaxRequestBytes {
			return fmt.Errorf("%w: request frame of %d bytes (limit socket.request.max.bytes=%d)", errCloseConn, size, c.s.cfg.MaxRequestBytes)
		}
		buf := c.s.bufs.get(int(size))
		body := (*buf)[:size]
		if _, err := io.ReadFull(br, body); err != nil {
			c.s.bufs.put(buf)
			return err
		}
		// The request aliases body, and handlers keep nothing of it once they return.
		key := int16(binary.BigEndian.Uint16(body))
		rep, err := c.handleFrame(body)
		c.s.bufs.put(buf)
		if rep != nil {
			rep.key, rep.reqBytes = key, int(size)+4
		}
		if err != nil {
			return err
		}
		if rep == nil {
			continue
		}
		select {
		case c.replies <- rep:
		case <-c.ctx.Done():
			if rep.release != nil {
				rep.release()
			}
			return c.ctx.Err()
		}
	}
}

// handleFrame decodes one request frame and handles it. body is reused after it returns.
func (c *conn) handleFrame(body []byte) (*reply, error) {
	r := kbin.Reader{Src: body}
	key := r.Int16()
	version := r.Int16()
	corr := r.Int32()
	clientID := r.NullableString()
	if !r.Ok() {
		return nil, fmt.Errorf("%w: truncated request header", errCloseConn)
	}
	kreq := kmsg.RequestForKey(key)
	if kreq == nil {
		return nil, fmt.Errorf("%w: unknown api key %d (correlation id %d)", errCloseConn, key, corr)
	}
	req := &request{ctx: c.ctx, conn: c, key: key, version: version, corr: corr, kreq: kreq}
	if clientID != nil {
		req.clientID = *clientID
	}
	supported := versionSupported(key, version)
	if key == kmsg.ApiVersions.Int16() && !supported {
		// Kafka answers a version it does not know with a v0 body carrying
		// UNSUPPORTED_VERSION and the supported ranges, so the client can retry lower.
		return &reply{corr: corr, resp: apiVersionsResponse(0, unsupportedVersion)}, nil
	}
	if version < 0 || version > kreq.MaxVersion() {
		return nil, fmt.Errorf("%w: %s v%d is newer than this broker can decode", errCloseConn, kmsg.NameForKey(key), version)
	}
	kreq.SetVersion(version)
	if kreq.IsFlexible() {
		skipHeaderTags(&r)
		if !r.Ok() {
			return nil, fmt.Errorf("%w: truncated request header tags", errCloseConn)
		}
	}
	if err := kreq.ReadFrom(r.Src); err != nil {
		return nil, fmt.Errorf("%w: decoding %s v%d: %v", errCloseConn, kmsg.NameForKey(key), version, err)
	}
	if !supported {
		resp := kreq.ResponseKind()
		resp.SetVersion(version)
		setErrorCodes(resp, unsupportedVersion)
		c.s.logger.Debug("unsupported request", "remote", c.remote, "api", kmsg.NameForKey(key), "version", version)
		return &reply{corr: corr, resp: resp}, nil
	}
	rep := c.s.handle(req)
	if rep != nil {
		rep.corr = corr
		if rep.resp != nil {
			rep.resp.SetVersion(version)
		}
	}
	return rep, nil
}

func (c *conn) writeLoop() {
	bw := bufio.NewWriterSize(c.nc, 64<<10)
	failed := false
	for rep := range c.replies {
		if rep.ready != nil {
			select {
			case <-rep.ready:
			default:
				// Do not sit on written responses while this one waits for its fsync.
				if !failed && bw.Flush() != nil {
					failed = true
					c.close()
				}
				select {
				case <-rep.ready:
				case <-c.ctx.Done():
					failed = true
				}
			}
		}
		if rep.skip {
			c.s.obs.Request(rep.key, rep.reqBytes, 0)
		}
		if !failed && !rep.skip {
			buf := c.s.bufs.get(rep.sizeHint + 16<<10)
			*buf = appendResponse(*buf, rep.corr, rep.resp)
			_, err := bw.Write(*buf)
			c.s.obs.Request(rep.key, rep.reqBytes, len(*buf))
			c.s.bufs.put(buf)
			if err != nil {
				failed = true
				c.close()
			}
			// Flush when no further reply is queued, so pipelined responses share a write.
			if !failed && len(c.replies) == 0 {
				if err := bw.Flush(); err != nil {
					failed = true
					c.close()
				}
			}
		}
		if rep.release != nil {
			rep.release()
		}
	}
}

// appendResponse appends a size-prefixed response frame: size, correlation id, header tags
// (flexible responses other than ApiVersions, whose header is always v0), body.
func appendResponse(dst []byte, corr int32, resp kmsg.Response) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = binary.BigEndian.AppendUint32(dst, uint32(corr))
	if resp.IsFlexible() && resp.Key() != kmsg.ApiVersions.Int16() {
		dst = append(dst, 0)
	}
	dst = resp.AppendTo(dst)
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst
}

// skipHeaderTags skips a request header's tagged fields. kmsg.SkipTags trusts the count and
// loops that many times even once the reader is exhausted, so a 5-byte count of 2^32-1 costs
// tens of seconds of CPU; a count larger than the bytes left cannot be valid (every tag takes at
// least two), so it fails the reader at once.
func skipHeaderTags(r *kbin.Reader) {
	num := r.Uvarint()
	if int64(num) > int64(len(r.Src)) {
		r.Span(-1) // marks the reader failed
		return
	}
	for ; num > 0 && r.Ok(); num-- {
		_, size := r.Uvarint(), r.Uvarint()
		r.Span(int(size))
	}
}

package log

import (
	"io"
	"sync"
)

// memChunk is the largest chunk a memory segment allocates at once.
const memChunk = 1 << 20

// memStore keeps a segment in memory as a list of chunks. A batch never
// straddles two chunks unless it is bigger than memChunk. Bytes below the
// written size are never modified again, so readers copy them under the
// read lock while the appender fills the tail.
type memStore struct {
	mu     sync.RWMutex // guards chunks and starts (not the bytes already written)
	chunks [][]byte
	starts []int64 // starts[i] is the store position of chunks[i][0]
	end    int64
}

var _ store = (*memStore)(nil)

func (s *memStore) write(b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.chunks)
	if n > 0 {
		last := s.chunks[n-1]
		if len(last)+len(b) <= cap(last) {
			s.chunks[n-1] = append(last, b...)
			s.end += int64(len(b))
			return nil
		}
	}
	// Chunks double from 64 KiB up to memChunk and are never regrown, so
	// memory allocated tracks bytes written.
	size := 64 << 10
	if n > 0 {
		size = min(2*cap(s.chunks[n-1]), memChunk)
	}
	c := make([]byte, 0, max(len(b), size))
	s.chunks = append(s.chunks, append(c, b...))
	s.starts = append(s.starts, s.end)
	s.end += int64(len(b))
	return nil
}

func (s *memStore) ReadAt(b []byte, off int64) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if off >= s.end {
		return 0, io.EOF
	}
	// Find the chunk holding off: the last start <= off.
	lo, hi := 0, len(s.starts)
	for hi-lo > 1 {
		m := (lo + hi) / 2
		if s.starts[m] <= off {
			lo = m
		} else {
			hi = m
		}
	}
	n := 0
	for i := lo; i < len(s.chunks) && n < len(b); i++ {
		c := s.chunks[i]
		rel := off + int64(n) - s.starts[i]
		n += copy(b[n:], c[rel:])
	}
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

func (s *memStore) truncate(n int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.chunks) > 0 && s.starts[len(s.starts)-1] >= n && n > 0 {
		s.chunks = s.chunks[:len(s.chunks)-1]
		s.starts = s.starts[:len(s.starts)-1]
	}
	if n == 0 {
		s.chunks, s.starts = nil, nil
	} else if len(s.chunks) > 0 {
		i := len(s.chunks) - 1
		// Copy so bytes a reader may still hold are never overwritten.
		s.chunks[i] = append([]byte(nil), s.chunks[i][:n-s.starts[i]]...)
	}
	s.end = n
	return nil
}

func (s *memStore) len() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.end
}

func (s *memStore) sync() error { return nil }

func (s *memStore) close() error {
	s.mu.Lock()
	s.chunks, s.starts = nil, nil
	s.mu.Unlock()
	return nil
}

package log

import (
	"fmt"
	"io"
	"os"
)

// store is a segment's bytes: a file on disk or chunks in memory. Writes
// happen only at the end, from the partition's appender (under
// Partition.appendMu); ReadAt may run concurrently from any goroutine but
// only over bytes already written (below the size published in segment.size).
type store interface {
	io.ReaderAt
	// len is the number of bytes stored.
	len() int64
	// write appends b at the end.
	write(b []byte) error
	// truncate cuts the store to n bytes.
	truncate(n int64) error
	// sync makes written bytes durable (fdatasync); a no-op in memory.
	sync() error
	// close releases the store; memory is dropped, files stay on disk.
	close() error
}

// fileStore is a segment file. Writes use pwrite at the tracked end, so the
// file offset is never shared with readers.
type fileStore struct {
	f    *os.File
	end  int64
	name string
}

var _ store = (*fileStore)(nil)

func openFileStore(name string) (*fileStore, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("log: opening segment: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("log: stat segment: %w", err)
	}
	return &fileStore{f: f, end: fi.Size(), name: name}, nil
}

func (s *fileStore) len() int64 { return s.end }

func (s *fileStore) ReadAt(b []byte, off int64) (int, error) { return s.f.ReadAt(b, off) }

func (s *fileStore) write(b []byte) error {
	n, err := s.f.WriteAt(b, s.end)
	s.end += int64(n)
	if err != nil {
		return fmt.Errorf("log: writing %s: %w", s.name, err)
	}
	return nil
}

func (s *fileStore) truncate(n int64) error {
	if err := s.f.Truncate(n); err != nil {
		return fmt.Errorf("log: truncating %s: %w", s.name, err)
	}
	s.end = n
	return nil
}

func (s *fileStore) sync() error {
	if err := fdatasync(s.f); err != nil {
		return fmt.Errorf("log: syncing %s: %w", s.name, err)
	}
	return nil
}

func (s *fileStore) close() error {
	if err := s.f.Close(); err != nil {
		return fmt.Errorf("log: closing %s: %w", s.name, err)
	}
	return nil
}

// syncDir fsyncs a directory so that created, renamed or removed entries
// survive a power loss.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("log: opening dir for sync: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("log: syncing dir %s: %w", dir, err)
	}
	return nil
}

package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// tmpSuffix marks a file being written by Put; List never shows one and
// NewFileStore removes those a crash left.
const tmpSuffix = ".tmp-put"

// FileStore is a Store in a local directory: each key is a file under it.
// A Put writes a temporary file, fsyncs it, renames it into place and
// fsyncs the directory, so an object is whole and durable once Put
// returns, and a crash leaves either the old object or the new one.
type FileStore struct {
	dir string
}

// NewFileStore returns a store in dir, creating it if needed, and removes
// temporary files an interrupted Put left.
func NewFileStore(dir string) (*FileStore, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("objstore: %w", err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("objstore: creating %s: %w", abs, err)
	}
	err = filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, tmpSuffix) {
			err = os.Remove(p)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("objstore: cleaning %s: %w", abs, err)
	}
	return &FileStore{dir: abs}, nil
}

// String returns the store's file:// URL.
func (s *FileStore) String() string { return "file://" + s.dir }

// path maps key to its file, refusing keys that would leave the directory.
func (s *FileStore) path(key string) (string, error) {
	if key == "" || strings.HasPrefix(key, "/") || path.Clean(key) != key || key == "." ||
		strings.HasPrefix(key, "../") || key == ".." || strings.HasSuffix(key, tmpSuffix) {
		return "", fmt.Errorf("objstore: invalid key %q", key)
	}
	return filepath.Join(s.dir, filepath.FromSlash(key)), nil
}

// Put stores body under key, atomically and durably.
func (s *FileStore) Put(ctx context.Context, key string, body io.ReadSeeker, size int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := s.path(key)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("objstore: put %s: %w", key, err)
	}
	if _, err := body.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("objstore: put %s: %w", key, err)
	}
	tmp := p + tmpSuffix
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("objstore: put %s: %w", key, err)
	}
	n, err := io.Copy(f, io.LimitReader(body, size))
	if err == nil && n != size {
		err = fmt.Errorf("body has %d bytes, want %d", n, size)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("objstore: put %s: %w", key, err)
	}
	return nil
}

// Get returns the object under key.
func (s *FileStore) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, s.err("get", key, err)
	}
	return b, nil
}

// GetRange returns n bytes of the object under key from off.
func (s *FileStore) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if off < 0 || n < 0 {
		return nil, fmt.Errorf("objstore: get %s: range %d+%d", key, off, n)
	}
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, s.err("get", key, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, s.err("get", key, err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("objstore: get %s: %w", key, ErrNotFound)
	}
	if off >= fi.Size() {
		return []byte{}, nil
	}
	b := make([]byte, min(n, fi.Size()-off))
	if _, err := f.ReadAt(b, off); err != nil && !errors.Is(err, io.EOF) {
		return nil, s.err("get", key, err)
	}
	return b, nil
}

// Size returns the size of the object under key.
func (s *FileStore) Size(ctx context.Context, key string) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	p, err := s.path(key)
	if err != nil {
		return 0, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return 0, s.err("stat", key, err)
	}
	if fi.IsDir() {
		return 0, fmt.Errorf("objstore: stat %s: %w", key, ErrNotFound)
	}
	return fi.Size(), nil
}

// List returns the objects whose keys start with prefix, in key order.
func (s *FileStore) List(ctx context.Context, prefix string) ([]Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []Object
	err := filepath.WalkDir(s.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(s.dir, p)
		key := filepath.ToSlash(rel)
		if d.IsDir() {
			// Skip directories that cannot hold a matching key.
			if key != "." && !strings.HasPrefix(key+"/", prefix) && !strings.HasPrefix(prefix, key+"/") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(key, tmpSuffix) || !strings.HasPrefix(key, prefix) {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, Object{Key: key, Size: fi.Size()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("objstore: list %s: %w", prefix, err)
	}
	slices.SortFunc(out, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// Delete removes the objects under keys.
func (s *FileStore) Delete(ctx context.Context, keys ...string) error {
	dirs := map[string]bool{}
	for _, key := range keys {
		if err := ctx.Err(); err != nil {
			return err
		}
		p, err := s.path(key)
		if err != nil {
			return err
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) && !isDir(p) {
			return fmt.Errorf("objstore: delete %s: %w", key, err)
		}
		dirs[filepath.Dir(p)] = true
	}
	for d := range dirs {
		if err := syncDir(d); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("objstore: delete: %w", err)
		}
	}
	return nil
}

// err maps a missing file, or a directory (the parent of other keys, not
// an object), to ErrNotFound.
func (s *FileStore) err(op, key string, err error) error {
	if p, perr := s.path(key); errors.Is(err, fs.ErrNotExist) || (perr == nil && isDir(p)) {
		return fmt.Errorf("objstore: %s %s: %w", op, key, ErrNotFound)
	}
	return fmt.Errorf("objstore: %s %s: %w", op, key, err)
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

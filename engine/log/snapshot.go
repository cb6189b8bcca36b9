package log

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Producer-state snapshot file layout (big-endian); see the package doc.
const (
	snapshotVersion    = 2 // 1 (no transactions) is still read
	snapshotExt        = ".snapshot"
	snapOffCRC         = 2 // after version int16
	snapOffCovered     = 6 // CRC-32C covers from here to the end
	snapOffCount       = 14
	snapHeaderSize     = 18 // version, crc, offset, count
	snapProducerSizeV1 = 19 // producerId, epoch, lastTimestamp, n
	snapProducerSize   = 31 // producerId, epoch, lastTimestamp, coordinatorEpoch, txnFirst, n
	snapBatchSize      = 24 // baseSeq, lastSeq, baseOffset, lastOffset
	snapAbortedSize    = 24 // producerId, firstOffset, lastOffset
	maxSnapshotEntries = 1 << 24
)

// errBadSnapshot is wrapped by decodeSnapshot for every way a file can be
// unusable; it never leaves the package (a bad snapshot is logged and ignored).
var errBadSnapshot = errors.New("log: bad producer snapshot")

func snapshotPath(dir string, offset int64) string {
	return segmentPath(dir, offset) + snapshotExt
}

// parseSnapshotName returns the offset a snapshot file name carries.
func parseSnapshotName(name string) (int64, bool) {
	s, ok := strings.CutSuffix(name, snapshotExt)
	if !ok || len(s) != 20 {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil && v >= 0
}

// encodeSnapshot appends the snapshot of m and the aborted transactions ab
// taken at offset to dst, producers in id order so equal states give equal
// files.
func encodeSnapshot(dst []byte, offset int64, m producers, ab []abortedTxn) []byte {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	start := len(dst)
	dst = binary.BigEndian.AppendUint16(dst, snapshotVersion)
	dst = binary.BigEndian.AppendUint32(dst, 0) // CRC, filled below
	dst = binary.BigEndian.AppendUint64(dst, uint64(offset))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(ids)))
	for _, id := range ids {
		ps := m[id]
		dst = binary.BigEndian.AppendUint64(dst, uint64(id))
		dst = binary.BigEndian.AppendUint16(dst, uint16(ps.epoch))
		dst = binary.BigEndian.AppendUint64(dst, uint64(ps.lastTs))
		dst = binary.BigEndian.AppendUint32(dst, uint32(ps.coordEpoch))
		dst = binary.BigEndian.AppendUint64(dst, uint64(ps.txnFirst))
		dst = append(dst, byte(ps.n))
		for i := 0; i < ps.n; i++ {
			b := ps.batches[(ps.head+i)%producerBatches]
			dst = binary.BigEndian.AppendUint32(dst, uint32(b.baseSeq))
			dst = binary.BigEndian.AppendUint32(dst, uint32(b.lastSeq))
			dst = binary.BigEndian.AppendUint64(dst, uint64(b.baseOffset))
			dst = binary.BigEndian.AppendUint64(dst, uint64(b.lastOffset))
		}
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(ab)))
	for _, e := range ab {
		dst = binary.BigEndian.AppendUint64(dst, uint64(e.pid))
		dst = binary.BigEndian.AppendUint64(dst, uint64(e.first))
		dst = binary.BigEndian.AppendUint64(dst, uint64(e.last))
	}
	snap := dst[start:]
	binary.BigEndian.PutUint32(snap[snapOffCRC:], crc32.Checksum(snap[snapOffCovered:], castagnoli))
	return dst
}

// decodeSnapshot parses a snapshot file expected to hold the state at offset.
// Beyond the CRC it checks everything Append relies on, so even a file with
// a matching CRC but impossible contents is refused: the version, the
// offset, the exact length, producer ids unique and ascending, epochs not
// negative, up to 5 batches per producer (at least one unless it has a
// transaction open) with non-negative sequences and offsets increasing from
// batch to batch and below offset, an open transaction's first offset below
// offset, and aborted transactions ascending by marker, each within itself
// and below offset. Version 1 files (before transactions) are read too.
func decodeSnapshot(b []byte, offset int64) (producers, []abortedTxn, error) {
	bad := func(why string) (producers, []abortedTxn, error) {
		return nil, nil, fmt.Errorf("%w: %s", errBadSnapshot, why)
	}
	if len(b) < snapHeaderSize {
		return bad("short file")
	}
	version := binary.BigEndian.Uint16(b)
	if version != 1 && version != snapshotVersion {
		return bad(fmt.Sprintf("version %d", version))
	}
	entrySize := snapProducerSize
	if version == 1 {
		entrySize = snapProducerSizeV1
	}
	if binary.BigEndian.Uint32(b[snapOffCRC:]) != crc32.Checksum(b[snapOffCovered:], castagnoli) {
		return bad("crc mismatch")
	}
	if got := int64(binary.BigEndian.Uint64(b[snapOffCovered:])); got != offset {
		return bad(fmt.Sprintf("holds offset %d, named %d", got, offset))
	}
	count := binary.BigEndian.Uint32(b[snapOffCount:])
	if count > maxSnapshotEntries || int64(count)*int64(entrySize) > int64(len(b)-snapHeaderSize) {
		return bad("producer count exceeds the file")
	}
	m := make(producers, count)
	r := b[snapHeaderSize:]
	prev := int64(-1)
	for range count {
		if len(r) < entrySize {
			return bad("short producer entry")
		}
		id := int64(binary.BigEndian.Uint64(r))
		ps := newProducerState(int16(binary.BigEndian.Uint16(r[8:])))
		ps.lastTs = int64(binary.BigEndian.Uint64(r[10:]))
		if version == 1 {
			ps.n = int(r[18])
		} else {
			ps.coordEpoch = int32(binary.BigEndian.Uint32(r[18:]))
			ps.txnFirst = int64(binary.BigEndian.Uint64(r[22:]))
			ps.n = int(r[30])
		}
		r = r[entrySize:]
		minN := 1
		if ps.txnFirst >= 0 || version > 1 {
			minN = 0
		}
		if id <= prev || ps.epoch < 0 || ps.n < minN || ps.n > producerBatches || len(r) < ps.n*snapBatchSize ||
			ps.txnFirst < -1 || ps.txnFirst >= offset {
			return bad(fmt.Sprintf("malformed entry for producer %d", id))
		}
		prev = id
		end := int64(-1)
		for i := 0; i < ps.n; i++ {
			bm := batchMeta{
				baseSeq:    int32(binary.BigEndian.Uint32(r)),
				lastSeq:    int32(binary.BigEndian.Uint32(r[4:])),
				baseOffset: int64(binary.BigEndian.Uint64(r[8:])),
				lastOffset: int64(binary.BigEndian.Uint64(r[16:])),
			}
			r = r[snapBatchSize:]
			if bm.baseSeq < 0 || bm.lastSeq < 0 || bm.baseOffset <= end ||
				bm.lastOffset < bm.baseOffset || bm.lastOffset >= offset {
				return bad(fmt.Sprintf("malformed batch for producer %d", id))
			}
			end = bm.lastOffset
			ps.batches[i] = bm
		}
		m[id] = ps
	}
	var ab []abortedTxn
	if version > 1 {
		if len(r) < 4 {
			return bad("short aborted list")
		}
		n := binary.BigEndian.Uint32(r)
		r = r[4:]
		if int64(n)*snapAbortedSize != int64(len(r)) {
			return bad("aborted count does not match the file")
		}
		ab = make([]abortedTxn, n)
		last := int64(-1)
		for i := range ab {
			e := abortedTxn{
				pid:   int64(binary.BigEndian.Uint64(r)),
				first: int64(binary.BigEndian.Uint64(r[8:])),
				last:  int64(binary.BigEndian.Uint64(r[16:])),
			}
			r = r[snapAbortedSize:]
			if e.pid < 0 || e.first < 0 || e.first > e.last || e.last <= last || e.last >= offset {
				return bad("malformed aborted transaction")
			}
			last = e.last
			ab[i] = e
		}
	}
	if len(r) != 0 {
		return bad("trailing bytes")
	}
	return m, ab, nil
}

// snapshotLocked writes the snapshot of the producer state at offset, after
// dropping producers idle for producer.id.expiration.ms. At a roll (final
// false) it is written to a temporary file and, unless the policy never
// fsyncs, published by the next flush round, which fsyncs it with the
// segments (see publishSnapshot); under FlushNone it is renamed at once. At
// Close (final true) it is fsynced, renamed and the directory fsynced before
// it returns. A snapshot that cannot be written is logged, never an error:
// recovery then starts from an older one. a must be held; file mode only.
func (p *Partition) snapshotLocked(offset, nowMs int64, final bool) {
	p.a.producers.expire(nowMs, p.a.cfg.ProducerIDExpirationMs)
	p.t.Lock()
	p.a.snapBuf = encodeSnapshot(p.a.snapBuf[:0], offset, p.a.producers, p.t.aborted)
	p.t.Unlock()
	name := snapshotPath(p.dir, offset)
	err := writeTmp(name, p.a.snapBuf)
	if err == nil {
		switch {
		case final:
			if err = publishSnapshot(name, true); err == nil {
				err = syncDir(p.dir)
			}
		case p.policy == FlushNone:
			err = publishSnapshot(name, false)
		default:
			p.s.Lock()
			p.s.pendingSnaps = append(p.s.pendingSnaps, offset)
			p.s.needDirSync = true
			p.s.Unlock()
		}
	}
	if err != nil {
		p.logger.Warn("log: producer snapshot not written; recovery will scan more of the log",
			"dir", p.dir, "offset", offset, "err", err)
		return
	}
	if n := len(p.a.snaps); n == 0 || p.a.snaps[n-1] < offset {
		p.a.snaps = append(p.a.snaps, offset)
	}
}

// publishPending publishes the snapshots queued by rolls since the last
// flush round (fsync, rename); the caller fsyncs the directory afterwards.
// It runs after the round fsynced the segments, so a snapshot is never
// visible before the data it describes is durable. A snapshot whose
// temporary file is gone was dropped by retention meanwhile.
func (p *Partition) publishPending(offsets []int64) {
	for _, off := range offsets {
		name := snapshotPath(p.dir, off)
		if err := publishSnapshot(name, true); err != nil && !errors.Is(err, os.ErrNotExist) {
			os.Remove(name + ".tmp")
			p.logger.Warn("log: producer snapshot not published; recovery will scan more of the log",
				"dir", p.dir, "offset", off, "err", err)
		}
	}
}

// dropSnapshotsBelowLocked deletes the snapshots below offset (and their
// pending temporary files): their segments are gone, and the snapshot at
// the first remaining segment's base holds everything they did. a must be held.
func (p *Partition) dropSnapshotsBelowLocked(offset int64) error {
	var errs []error
	n := 0
	for n < len(p.a.snaps) && p.a.snaps[n] < offset {
		name := snapshotPath(p.dir, p.a.snaps[n])
		for _, f := range []string{name, name + ".tmp"} {
			if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, fmt.Errorf("log: removing producer snapshot: %w", err))
			}
		}
		n++
	}
	p.a.snaps = append(p.a.snaps[:0], p.a.snaps[n:]...)
	return errors.Join(errs...)
}

// writeTmp writes b to name.tmp, without fsync.
func writeTmp(name string, b []byte) error {
	if err := os.WriteFile(name+".tmp", b, 0o644); err != nil {
		os.Remove(name + ".tmp")
		return err
	}
	return nil
}

// publishSnapshot renames name.tmp to name, first fsyncing it if sync.
func publishSnapshot(name string, sync bool) error {
	tmp := name + ".tmp"
	if sync {
		f, err := os.OpenFile(tmp, os.O_RDWR, 0)
		if err != nil {
			return err
		}
		err = fdatasync(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return os.Rename(tmp, name)
}

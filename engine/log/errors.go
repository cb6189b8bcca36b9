package log

import "errors"

// Sentinel errors returned by this package. Compare with errors.Is; OS errors
// are wrapped with context and never returned bare.
var (
	// ErrOffsetOutOfRange is returned by Read when the offset is below the log
	// start offset or above the high watermark, and by DeleteRecordsBefore for
	// an offset above the high watermark.
	ErrOffsetOutOfRange = errors.New("log: offset out of range")
	// ErrOutOfOrderSequence is returned by Append when an idempotent producer's
	// batch does not continue its last sequence (or a new epoch does not start
	// at sequence 0).
	ErrOutOfOrderSequence = errors.New("log: out of order sequence")
	// ErrInvalidProducerEpoch is returned by Append when a batch carries an
	// epoch older than the one the partition already knows for that producer.
	ErrInvalidProducerEpoch = errors.New("log: invalid producer epoch")
	// ErrClosed is returned by every method called after Close or Remove.
	ErrClosed = errors.New("log: closed")
	// ErrCorruptBatch is returned by Append when the bytes are not a record
	// batch it can parse (too short, wrong magic, length mismatch).
	ErrCorruptBatch = errors.New("log: corrupt record batch")
)

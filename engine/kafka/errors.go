package kafka

import (
	"errors"

	"github.com/streamlite/streamlite/engine/cluster"
	"github.com/streamlite/streamlite/engine/log"
	"github.com/twmb/franz-go/pkg/kerr"
)

// Kafka error codes used by name in the handlers.
var (
	unsupportedVersion = kerr.UnsupportedVersion.Code
	unknownTopic       = kerr.UnknownTopicOrPartition.Code
	unknownTopicID     = kerr.UnknownTopicID.Code
	invalidRequest     = kerr.InvalidRequest.Code
)

// errorCode maps an error from the cluster or the log to its Kafka error code.
func errorCode(err error) int16 {
	var ke *kerr.Error
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ke):
		return ke.Code
	case errors.Is(err, cluster.ErrUnknownTopic):
		return kerr.UnknownTopicOrPartition.Code
	case errors.Is(err, cluster.ErrTopicExists):
		return kerr.TopicAlreadyExists.Code
	case errors.Is(err, cluster.ErrInvalidTopic), errors.Is(err, cluster.ErrReadOnlyTopic):
		return kerr.InvalidTopicException.Code
	case errors.Is(err, cluster.ErrInvalidPartitions):
		return kerr.InvalidPartitions.Code
	case errors.Is(err, cluster.ErrInvalidReplicationFactor):
		return kerr.InvalidReplicationFactor.Code
	case errors.Is(err, cluster.ErrInvalidReplicaAssignment):
		return kerr.InvalidReplicaAssignment.Code
	case errors.Is(err, cluster.ErrInvalidConfig):
		return kerr.InvalidConfig.Code
	case errors.Is(err, log.ErrOffsetOutOfRange):
		return kerr.OffsetOutOfRange.Code
	case errors.Is(err, log.ErrOutOfOrderSequence):
		return kerr.OutOfOrderSequenceNumber.Code
	case errors.Is(err, log.ErrInvalidProducerEpoch):
		return kerr.InvalidProducerEpoch.Code
	case errors.Is(err, log.ErrCorruptBatch):
		return kerr.CorruptMessage.Code
	case errors.Is(err, log.ErrClosed), errors.Is(err, cluster.ErrClosed):
		return kerr.NotLeaderForPartition.Code
	default:
		return kerr.KafkaStorageError.Code
	}
}

// errorMessage is the message Kafka would put beside code: err's text, or nil when there is
// no error.
func errorMessage(err error) *string {
	if err == nil {
		return nil
	}
	s := err.Error()
	return &s
}

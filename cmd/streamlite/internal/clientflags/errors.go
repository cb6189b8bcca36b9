package clientflags

import (
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
)

// brokerError is a Kafka error code answered by the broker, with the
// broker's own message when it sent one.
type brokerError struct {
	err     *kerr.Error
	message string
}

func (e *brokerError) Error() string {
	if e.message != "" {
		return e.err.Message + ": " + e.message
	}
	return e.err.Message + ": " + e.err.Description
}

func (e *brokerError) Unwrap() error { return e.err }

// BrokerError renders err as Kafka's error name followed by the broker's
// message (or, when the broker sent none, the code's description):
// "TOPIC_ALREADY_EXISTS: Topic 'a' already exists.". Errors that are not
// Kafka error codes are returned unchanged; nil stays nil. The result still
// matches the kerr value with errors.Is.
func BrokerError(err error, message string) error {
	if err == nil {
		return nil
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return &brokerError{err: ke, message: message}
	}
	if message != "" {
		return fmt.Errorf("%w: %s", err, message)
	}
	return err
}

package tui

import "github.com/streamlite/streamlite/tui/cluster"

// FromClient adapts a tui/cluster Client to a Source.
func FromClient(c *cluster.Client) Source { return clientSource{c} }

// clientSource is a *cluster.Client with OpenReader and ParseFilter returning the tui
// package's interfaces.
type clientSource struct{ *cluster.Client }

func (s clientSource) OpenReader(topic string, start cluster.Start) (RecordReader, error) {
	r, err := s.Client.OpenReader(topic, start)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (s clientSource) ParseFilter(expr string) (RecordFilter, error) {
	f, err := cluster.ParseFilter(expr)
	if err != nil {
		return nil, err
	}
	return f, nil
}

var _ Source = clientSource{}

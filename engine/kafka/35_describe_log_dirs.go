package kafka

import (
	"syscall"

	"github.com/streamlite/streamlite/engine/cluster"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DescribeLogDirs: versions 1-4.
//
// One log dir: the data directory ("memory" with --memory), with each partition's size in
// bytes; offset lag is 0 and nothing is a future replica (one node). v4 total and usable bytes
// of the file system holding the data directory (-1 in memory).

func (s *Server) handleDescribeLogDirs(req *kmsg.DescribeLogDirsRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.DescribeLogDirsResponse)
	dir := kmsg.NewDescribeLogDirsResponseDir()
	dir.Dir = s.c.DataDir()
	dir.TotalBytes, dir.UsableBytes = -1, -1
	if dir.Dir == "" {
		dir.Dir = "memory"
	} else {
		var st syscall.Statfs_t
		if syscall.Statfs(dir.Dir, &st) == nil {
			dir.TotalBytes = int64(st.Blocks) * int64(st.Bsize)
			dir.UsableBytes = int64(st.Bavail) * int64(st.Bsize)
		}
	}
	add := func(t *cluster.Topic, parts []int32) {
		dt := kmsg.NewDescribeLogDirsResponseDirTopic()
		dt.Topic = t.Name
		for _, p := range parts {
			lp := t.Partition(p)
			if lp == nil {
				continue
			}
			dp := kmsg.NewDescribeLogDirsResponseDirTopicPartition()
			dp.Partition = p
			dp.Size = lp.Size()
			dt.Partitions = append(dt.Partitions, dp)
		}
		dir.Topics = append(dir.Topics, dt)
	}
	if req.Topics == nil {
		for _, t := range s.c.Topics() {
			parts := make([]int32, len(t.Partitions()))
			for i := range parts {
				parts[i] = int32(i)
			}
			add(t, parts)
		}
	} else {
		for _, rt := range req.Topics {
			if t := s.c.Topic(rt.Topic); t != nil {
				add(t, rt.Partitions)
			}
		}
	}
	resp.Dirs = append(resp.Dirs, dir)
	return resp
}

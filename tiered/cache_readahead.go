package tiered

import "strings"

// noteRead is told of every read of chunks first..last of key (of size
// objSize) before it runs. It queues background fetches of the read's
// other chunks, so a large cold read fetches them in parallel, and, when
// seq is set and the read continues the previous such read of the same
// .log object (a sequential consumer), of the ReadAhead chunks after it.
func (c *Cache) noteRead(key string, first, last, objSize int64, seq bool) {
	if c.cfg.ReadAhead < 0 {
		return
	}
	end := last
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mu.closed {
		return
	}
	if seq && strings.HasSuffix(key, extLog) {
		prev, ok := c.mu.seq[key]
		if ok && first <= prev+1 && last >= prev {
			end = last + int64(c.cfg.ReadAhead)
		}
		if !ok && len(c.mu.seq) >= maxSeqKeys {
			for k := range c.mu.seq { // forget any one
				delete(c.mu.seq, k)
				break
			}
		}
		c.mu.seq[key] = last
	}
	cs := c.cfg.ChunkSize
	end = min(end, (objSize-1)/cs)
	for idx := first + 1; idx <= end; idx++ {
		id := chunkID{key, idx}
		if c.mu.entries[id] != nil || c.mu.queued[id] || len(c.mu.queue) >= maxQueueSize {
			continue
		}
		c.mu.queue = append(c.mu.queue, fetchTask{id: id, size: min(cs, objSize-idx*cs)})
		c.mu.queued[id] = true
	}
	for c.mu.workers < c.cfg.ReadAheadWorkers && c.mu.workers < len(c.mu.queue) {
		c.mu.workers++
		c.wg.Add(1)
		go c.fetchWorker()
	}
}

// fetchWorker fetches queued chunks until the queue is empty or the cache
// closes. Close waits for it.
func (c *Cache) fetchWorker() {
	defer c.wg.Done()
	for {
		c.mu.Lock()
		if c.mu.closed || len(c.mu.queue) == 0 {
			c.mu.workers--
			c.mu.Unlock()
			return
		}
		t := c.mu.queue[0]
		c.mu.queue = c.mu.queue[1:]
		delete(c.mu.queued, t.id)
		if c.mu.entries[t.id] != nil { // cached or being fetched already
			c.mu.Unlock()
			continue
		}
		e := &chunk{id: t.id, done: make(chan struct{})}
		c.mu.entries[t.id] = e
		c.mu.stats.ReadAheads++
		c.mu.Unlock()
		if _, err := c.fetch(c.ctx, e, t.size); err != nil && c.ctx.Err() == nil {
			c.logger.Debug("tiered: read-ahead failed", "key", t.id.key, "chunk", t.id.idx, "err", err)
		}
	}
}

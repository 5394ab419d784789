package engineio

import "sync"

// Batch gathers the writes of one broadcast. [Session.SendBatched] queues
// a frame and leaves the write to [Batch.Flush], which makes the writes on
// a goroutine of its own once the frame is queued for every recipient:
// the broadcaster is free at once for the next broadcast, and a recipient
// whose write has not happened yet when the next one comes gets both
// frames in one syscall. So the more broadcasts arrive, the fewer
// syscalls each one costs.
//
// A Batch is used by one goroutine; it can be reused after Flush.
type Batch struct {
	sessions []*Session
}

// batchListPool recycles the session lists handed over to flushers.
var batchListPool = sync.Pool{New: func() any { return new([]*Session) }}

// SendBatched queues frames as [Session.Send] does. On a WebSocket the
// write is left to b's [Batch.Flush], or to the write already under way.
// Other transports start their write as Send does.
func (s *Session) SendBatched(b *Batch, frames ...Frame) error {
	s.mu.Lock()
	if err := s.queueLocked(frames); err != nil {
		return err
	}
	if s.writing {
		// The writer, or the flusher of an earlier batch, takes the
		// frames with what it has not written yet.
		s.mu.Unlock()
		return nil
	}
	if ws := s.ws; s.transport == WebSocket && ws != nil && ws.fd >= 0 && s.protocol == 4 {
		s.writing, s.batched = true, true
		if b.sessions == nil {
			b.sessions = (*batchListPool.Get().(*[]*Session))[:0]
		}
		b.sessions = append(b.sessions, s)
		s.mu.Unlock()
		return nil
	}
	s.kickLocked()
	s.mu.Unlock()
	return nil
}

// Len is the number of sessions whose write waits for Flush.
func (b *Batch) Len() int { return len(b.sessions) }

// Flush writes what SendBatched queued, without waiting for it: the
// writes happen on another goroutine, each without blocking; a session
// whose socket does not take all of its frames gets a writer of its own
// for the rest, so no recipient holds up the others.
func (b *Batch) Flush() {
	list := b.sessions
	b.sessions = nil
	if len(list) == 0 {
		return
	}
	srv := list[0].srv
	srv.wg.Add(1)
	go func() {
		defer srv.wg.Done()
		for i, s := range list {
			s.flushClaimed()
			list[i] = nil
		}
		list = list[:0]
		batchListPool.Put(&list)
	}()
}

// flushClaimed writes the queue of a session that SendBatched claimed (it
// set s.writing and s.batched for the batch), unless Send did first.
func (s *Session) flushClaimed() {
	s.mu.Lock()
	if !s.batched {
		// Send wrote the queue first, and holds s.writing now.
		s.mu.Unlock()
		return
	}
	s.batched = false
	// SendBatched claimed an open WebSocket; it stays one until it closes.
	if s.state != stateOpen || queuedBytes(s.queue) > maxDirectWrite {
		// Closing (the close frame is queued), or too much for one
		// write: the writer handles it, as it handles an empty queue.
		s.startWriterLocked()
		s.mu.Unlock()
		return
	}
	ws, items := s.ws, s.takeQueueLocked()
	s.lastWrite = monoNow()
	s.mu.Unlock()
	s.writeDirect(ws, nil, items)
}

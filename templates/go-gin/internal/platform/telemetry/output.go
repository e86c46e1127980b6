package telemetry

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// Output is where the log lines go: w through a buffer, so that a busy service makes one write
// system call per batch of lines instead of one per line (on the request path, that call costs
// more than building the line). The cost is a short delay: a line waits at most the flush
// interval, the logger flushes ERROR lines at once, and Close writes whatever is left, so call
// it before the process exits.
type Output struct {
	mu     sync.Mutex
	buf    *bufio.Writer
	closed bool // after Close, every write goes straight through

	stop chan struct{}
	done chan struct{}
}

// NewOutput buffers up to size bytes for w and flushes them every interval.
func NewOutput(w io.Writer, size int, interval time.Duration) *Output {
	o := &Output{
		buf:  bufio.NewWriterSize(w, size),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go o.flushEvery(interval)
	return o
}

// Write buffers p; a line longer than the buffer is written through.
func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n, err := o.buf.Write(p)
	if err == nil && o.closed {
		err = o.buf.Flush()
	}
	return n, err
}

// Flush writes the buffered lines now.
func (o *Output) Flush() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Flush()
}

// Close stops the periodic flush and writes what is left; later lines are written at once.
func (o *Output) Close() error {
	close(o.stop)
	<-o.done
	o.mu.Lock()
	defer o.mu.Unlock()
	o.closed = true
	return o.buf.Flush()
}

func (o *Output) flushEvery(interval time.Duration) {
	defer close(o.done)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-o.stop:
			return
		case <-tick.C:
			// A failed write (stdout closed) loses lines; there is nowhere else to report it.
			_ = o.Flush()
		}
	}
}

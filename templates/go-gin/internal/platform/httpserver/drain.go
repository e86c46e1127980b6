package httpserver

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Shutting down without losing an answer. http.Server.Shutdown and SetKeepAlivesEnabled(false)
// close every connection that net/http counts as idle, and net/http counts a connection idle
// until it has read the headers of its next request in full. Closing it from the outside then
// drops a request whose headers were still arriving, or, worse, one that net/http has already read
// into its buffer: that one is handled, logged as answered, and its answer goes nowhere.
//
// So the server tracks its connections, and shutdown never closes one from the outside. It stops
// accepting, and then, for every connection that waits for a request, makes the reads fail (an
// expired read deadline that net/http cannot move): net/http closes the connection itself, at
// the point where it would read the next request. A request already in its buffer is still
// answered in full; one whose bytes arrive at that very moment is dropped before any work is done.
// A connection receiving a request when shutdown begins gets at most the header timeout more to
// send it; one handling a request is left alone and closes after its answer (which says
// Connection: close). Once every connection has closed, http.Server.Shutdown has nothing to drop.

// drainPollInterval is how often shutdown checks whether every connection has closed.
const drainPollInterval = 10 * time.Millisecond

// trackedListener hands out trackedConns.
type trackedListener struct {
	net.Listener
}

func (l trackedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &trackedConn{Conn: c}, nil
}

// trackedConn remembers whether bytes arrived since it last waited for a request, and can hold
// its reads to a limit that later read deadlines cannot extend.
type trackedConn struct {
	net.Conn
	arrived atomic.Bool

	mu       sync.Mutex
	deadline time.Time // the read deadline last asked for (by net/http or a handler); zero: none
	limit    time.Time // no read waits past it; zero: no limit
}

func (c *trackedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.arrived.Store(true)
	}
	return n, err
}

func (c *trackedConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deadline = t
	return c.Conn.SetReadDeadline(earlier(t, c.limit))
}

func (c *trackedConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// limitReads makes every read fail from limit on (at once for a time in the past), whatever read
// deadline is set later; the zero time lifts the limit.
func (c *trackedConn) limitReads(limit time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.limit = limit
	// This fails only on a closed connection, which reads no more anyway.
	_ = c.Conn.SetReadDeadline(earlier(c.deadline, limit))
}

// earlier returns the earlier of two deadlines, where the zero time means none.
func earlier(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// aLongTimeAgo is a read limit that makes reads fail at once.
var aLongTimeAgo = time.Unix(1, 0)

// connStates follows every open connection, fed by http.Server.ConnState, and closes them on
// shutdown.
type connStates struct {
	// headerTimeout is what a connection receiving a request's headers when shutdown begins
	// still gets to send them; zero: no limit.
	headerTimeout time.Duration
	// closing is set once shutdown has begun: connections close as soon as they wait for a
	// request.
	closing atomic.Bool

	mu    sync.Mutex
	state map[*trackedConn]http.ConnState
}

func newConnStates(headerTimeout time.Duration) *connStates {
	return &connStates{headerTimeout: headerTimeout, state: make(map[*trackedConn]http.ConnState)}
}

func (s *connStates) update(c net.Conn, state http.ConnState) {
	tc, ok := c.(*trackedConn)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch state {
	case http.StateNew, http.StateIdle: // waiting for a request
		tc.arrived.Store(false)
		s.state[tc] = state
		if s.closing.Load() {
			// Nothing of the next request has been read from the connection: no more will be.
			// One already in net/http's buffer (pipelined) is still answered.
			tc.limitReads(aLongTimeAgo)
		}
	case http.StateActive: // a request's headers are in: it is handled and answered
		s.state[tc] = state
		if s.closing.Load() {
			tc.limitReads(time.Time{}) // its body has HTTP_REQUEST_TIMEOUT_MS, as ever (limitBody)
		}
	case http.StateClosed, http.StateHijacked:
		delete(s.state, tc)
	}
}

// closeAfterReplyWhenClosing answers with Connection: close once shutdown has begun, so that
// clients do not send another request on a connection that is about to close.
func (s *connStates) closeAfterReplyWhenClosing(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.closing.Load() {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}

// drain begins the shutdown of every connection, and waits until all have closed. It gives up
// when ctx ends. The listener must be closed already.
func (s *connStates) drain(ctx context.Context) error {
	s.beginClosing()
	tick := time.NewTicker(drainPollInterval)
	defer tick.Stop()
	for !s.allClosed() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

// beginClosing makes each connection waiting for a request close now, and each receiving one
// close unless its headers are in within headerTimeout. Connections handling a request close
// after it (update does the rest).
func (s *connStates) beginClosing() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closing.Store(true)
	receivingLimit := time.Time{}
	if s.headerTimeout > 0 {
		receivingLimit = time.Now().Add(s.headerTimeout)
	}
	for c, state := range s.state {
		switch {
		case state == http.StateActive:
		case c.arrived.Load(): // the headers of a request are arriving
			c.limitReads(receivingLimit)
		default:
			c.limitReads(aLongTimeAgo)
		}
	}
}

func (s *connStates) allClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.state) == 0
}

package httpserver

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// http.Server.Shutdown alone is not enough for the contract's "in-flight requests finish": from
// the moment it is called, net/http drops, unanswered, every request whose headers were still
// arriving. So the server tracks its connections, and shutdown first stops accepting, then waits
// until no connection is receiving or handling a request, closes the quiet ones, and only then
// calls Shutdown.

// drainPollInterval is how often shutdown checks whether the connections have gone quiet.
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

// trackedConn remembers whether bytes arrived since it last waited for a request.
type trackedConn struct {
	net.Conn
	arrived atomic.Bool
}

func (c *trackedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.arrived.Store(true)
	}
	return n, err
}

// connStates follows every open connection, fed by http.Server.ConnState.
type connStates struct {
	mu    sync.Mutex
	state map[*trackedConn]http.ConnState
}

func newConnStates() *connStates {
	return &connStates{state: make(map[*trackedConn]http.ConnState)}
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
	case http.StateActive:
		s.state[tc] = state
	case http.StateClosed, http.StateHijacked:
		delete(s.state, tc)
	}
}

// quiet reports whether c is waiting for a request that has not started to arrive.
func (s *connStates) quiet(c *trackedConn) bool {
	return s.state[c] != http.StateActive && !c.arrived.Load()
}

// drain waits until every connection is quiet, then closes them all. It gives up when ctx ends.
func (s *connStates) drain(ctx context.Context) error {
	tick := time.NewTicker(drainPollInterval)
	defer tick.Stop()
	for {
		if s.closeIfAllQuiet() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

func (s *connStates) closeIfAllQuiet() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.state {
		if !s.quiet(c) {
			return false
		}
	}
	for c := range s.state {
		_ = c.Close() // the connection's goroutine sees the error and ends quietly
	}
	return true
}

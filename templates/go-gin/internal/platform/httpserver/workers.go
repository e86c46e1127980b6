package httpserver

import "time"

// workerIdleTimeout is how long a handler goroutine waits for another request before it ends.
const workerIdleTimeout = 10 * time.Second

// workers runs each request's handler on a goroutine of its own, as the timeout layer needs,
// but reuses goroutines that finished a request instead of starting a new one each time: a new
// goroutine's stack starts small and is grown (copied) again for every request. scaffold's
// benchmarks measure reuse against a goroutine per request (the ablation in RESULTS.md).
type workers struct {
	idle        chan func() // unbuffered: a send succeeds only when a worker is waiting
	idleTimeout time.Duration
}

func newWorkers(idleTimeout time.Duration) *workers {
	return &workers{idle: make(chan func()), idleTimeout: idleTimeout}
}

// run starts job on a waiting worker, or on a new one when none waits. job must not panic.
func (p *workers) run(job func()) {
	select {
	case p.idle <- job:
	default:
		go p.work(job)
	}
}

func (p *workers) work(job func()) {
	timer := time.NewTimer(p.idleTimeout)
	defer timer.Stop()
	for {
		job() // job is dead from here until the next one: an idle worker holds no request
		timer.Reset(p.idleTimeout)
		select {
		case job = <-p.idle:
		case <-timer.C:
			return
		}
	}
}

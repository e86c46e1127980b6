package httpserver

import (
	"runtime"
	"sync"
	"testing"
	"time"
	"weak"
)

func TestWorkersRunEveryJob(t *testing.T) {
	pool := newWorkers(time.Minute)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range 100 {
		wg.Add(1)
		pool.run(func() {
			defer wg.Done()
			mu.Lock()
			done++
			mu.Unlock()
		})
	}
	wg.Wait()
	if done != 100 {
		t.Fatalf("%d of 100 jobs ran", done)
	}
}

func TestWorkersNeverQueueBehindABusyJob(t *testing.T) {
	pool := newWorkers(time.Minute)
	release := make(chan struct{})
	pool.run(func() { <-release }) // stays busy until the end of the test
	defer close(release)

	ran := make(chan struct{})
	pool.run(func() { close(ran) })
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Fatal("a job waited for a busy worker instead of getting one of its own")
	}
}

func TestIdleWorkersEnd(t *testing.T) {
	before := runtime.NumGoroutine()
	pool := newWorkers(10 * time.Millisecond)
	ran := make(chan struct{})
	pool.run(func() { close(ran) })
	<-ran
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines 5 s after the job, %d before", runtime.NumGoroutine(), before)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// An idle worker must not keep its last request (the closure holds the request, the response
// buffer and the context) alive until the next one comes or the worker ends.
func TestIdleWorkersLetGoOfTheFinishedJob(t *testing.T) {
	pool := newWorkers(time.Minute) // the worker stays idle for the whole test
	request := new([1 << 16]byte)
	released := weak.Make(request)
	ran := make(chan struct{})
	pool.run(func() {
		request[0] = 1
		close(ran)
	})
	<-ran
	request = nil
	deadline := time.Now().Add(5 * time.Second)
	for released.Value() != nil {
		if time.Now().After(deadline) {
			t.Fatal("an idle worker still holds the closure of the job it finished")
		}
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
}

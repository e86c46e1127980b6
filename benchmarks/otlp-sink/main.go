// Command otlp-sink is the benchmarks' OTLP/HTTP receiver: it answers trace exports at once and
// counts their spans only when asked.
//
// It shares the load generator's CPU, so anything it spends during a round is taken from wrk
// and would show up as a slower server. It therefore only keeps the request bodies while a
// round runs; GET /spans decodes what arrived since the last call (between rounds) and answers
// the running total. It prints its endpoint (http://127.0.0.1:PORT) on the first line of stdout
// and runs until killed.
package main

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// sink keeps trace export bodies until they are counted.
type sink struct {
	mu       sync.Mutex
	pending  [][]byte
	spans    int
	requests int
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/spans":
		count, err := s.count()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, strconv.Itoa(count)+"\n")
	case r.Method == http.MethodPost:
		body, err := readBody(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.requests++
		if r.URL.Path == "/v1/traces" {
			s.pending = append(s.pending, body)
		}
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	default:
		http.NotFound(w, r)
	}
}

// readBody reads the request body, gunzipped when the exporter compressed it.
func readBody(r *http.Request) ([]byte, error) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		defer gz.Close()
		body = gz
	}
	return io.ReadAll(body)
}

// count decodes the bodies received since the last call and returns the spans received so far.
func (s *sink) count() (int, error) {
	s.mu.Lock()
	pending := s.pending
	s.pending = nil
	s.mu.Unlock()
	counted := 0
	for _, body := range pending {
		var export collectortrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &export); err != nil {
			return 0, fmt.Errorf("not an OTLP trace export: %w", err)
		}
		for _, rs := range export.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				counted += len(ss.GetSpans())
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spans += counted
	return s.spans, nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	srv := &http.Server{Handler: &sink{}, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}

package telemetry

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// sink is a concurrency-safe destination that shows what reached it.
type sink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *sink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// never is a flush interval no test lasts.
const never = time.Hour

func TestOutputHoldsLinesUntilFlushed(t *testing.T) {
	var dst sink
	out := NewOutput(&dst, 4096, never)
	defer out.Close()

	if _, err := out.Write([]byte("one\n")); err != nil {
		t.Fatal(err)
	}
	if got := dst.String(); got != "" {
		t.Fatalf("written before a flush: %q", got)
	}
	if err := out.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := dst.String(); got != "one\n" {
		t.Fatalf("after Flush: %q", got)
	}
}

func TestOutputFlushesWithinTheInterval(t *testing.T) {
	var dst sink
	out := NewOutput(&dst, 4096, 10*time.Millisecond)
	defer out.Close()

	if _, err := out.Write([]byte("one\n")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for dst.String() == "" {
		if time.Now().After(deadline) {
			t.Fatal("not flushed within 5 s at a 10 ms interval")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestOutputWritesThroughWhenTheBufferIsFull(t *testing.T) {
	var dst sink
	out := NewOutput(&dst, 16, never)
	defer out.Close()

	line := strings.Repeat("x", 40) + "\n"
	if _, err := out.Write([]byte(line)); err != nil {
		t.Fatal(err)
	}
	if got := dst.String(); got != line {
		t.Fatalf("a line longer than the buffer: %q", got)
	}
}

func TestOutputCloseWritesTheRestAndLaterLinesAtOnce(t *testing.T) {
	var dst sink
	out := NewOutput(&dst, 4096, never)
	if _, err := out.Write([]byte("before\n")); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if got := dst.String(); got != "before\n" {
		t.Fatalf("after Close: %q", got)
	}
	if _, err := out.Write([]byte("after\n")); err != nil {
		t.Fatal(err)
	}
	if got := dst.String(); got != "before\nafter\n" {
		t.Fatalf("a line after Close: %q", got)
	}
}

func TestLoggerFlushesErrorLinesAtOnce(t *testing.T) {
	var dst sink
	out := NewOutput(&dst, 4096, never)
	defer out.Close()
	logger := NewLogger(out, "payments", slog.LevelInfo)

	logger.InfoContext(context.Background(), "info")
	if got := dst.String(); got != "" {
		t.Fatalf("an INFO line was written at once: %q", got)
	}
	logger.ErrorContext(context.Background(), "error")
	got := dst.String()
	if strings.Count(got, "\n") != 2 || strings.Index(got, `"info"`) > strings.Index(got, `"error"`) {
		t.Fatalf("want the INFO line, then the ERROR line, written at once: %q", got)
	}
}

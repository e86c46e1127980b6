package httpserver

import (
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// sendThroughLimitBody sends a request with body (of the declared size, or undeclared: -1)
// through limitBody(maxBytes) and returns the response, and what the next handler read of the
// body (nil when it was not called).
func sendThroughLimitBody(t *testing.T, maxBytes, size int64, body io.Reader) (rec *httptest.ResponseRecorder, read *string) {
	t.Helper()
	next := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("the next handler's read failed: %v", err)
		}
		s := string(b)
		read = &s
	})
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/", body)
	req.ContentLength = size
	rec = httptest.NewRecorder()
	limitBody(maxBytes, time.Second, next).ServeHTTP(rec, req)
	return rec, read
}

func TestLimitBodyHandsOnTheBodyReadInAdvance(t *testing.T) {
	for _, size := range []int64{-1, 10} { // chunked, and a declared Content-Length
		// limitBody exhausts the request's own reader: the handler must get the body from memory.
		rec, read := sendThroughLimitBody(t, math.MaxInt64, size, iotest.OneByteReader(strings.NewReader("0123456789")))
		if rec.Code != http.StatusOK || read == nil || *read != "0123456789" {
			t.Errorf("size %d: status %d, next read %v; want 200 and the whole body", size, rec.Code, read)
		}
	}
}

func TestLimitBodyAnswersABrokenBody(t *testing.T) {
	broken := errors.New("malformed chunked encoding")
	for _, size := range []int64{-1, 10} {
		rec, read := sendThroughLimitBody(t, 10, size, io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(broken)))
		if read != nil {
			t.Errorf("size %d: the next handler ran with the broken body %q", size, *read)
		}
		if rec.Code != http.StatusBadRequest || rec.Header().Get("Connection") != "close" {
			t.Errorf("size %d: %d, Connection %q; want %d and close", size, rec.Code, rec.Header().Get("Connection"),
				http.StatusBadRequest)
		}
	}
}

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
)

// readByLimitBody sends a body of undeclared size through limitBody(maxBytes) and returns what
// the next handler read of it.
func readByLimitBody(t *testing.T, maxBytes int64, body io.Reader) (string, error) {
	t.Helper()
	var read string
	var readErr error
	next := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		read, readErr = string(b), err
	})
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/", body)
	req.ContentLength = -1 // as with Transfer-Encoding: chunked
	rec := httptest.NewRecorder()
	limitBody(maxBytes, next).ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want the next handler's 200", rec.Code)
	}
	return read, readErr
}

func TestLimitBodyHandsOnTheBodyReadInAdvance(t *testing.T) {
	read, err := readByLimitBody(t, math.MaxInt64, strings.NewReader("0123456789"))
	if read != "0123456789" || err != nil {
		t.Errorf("read %q, %v; want the whole body", read, err)
	}
}

func TestLimitBodyHandsOnAFailedRead(t *testing.T) {
	broken := errors.New("malformed chunked encoding")
	read, err := readByLimitBody(t, 10, io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(broken)))
	if read != "abc" || !errors.Is(err, broken) {
		t.Errorf("read %q, %v; want what came, then the read error", read, err)
	}
}

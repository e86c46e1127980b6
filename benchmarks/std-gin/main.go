// Command std-gin is the "standard stack" baseline for the skeleton benchmarks: the same route as
// a generated Go service, instrumented by hand with the Go ecosystem's standard libraries, each
// used the way its own documentation shows, as a team would assemble it:
//
//   - tracing: the otelgin middleware (go.opentelemetry.io/contrib) and the OpenTelemetry SDK
//     with a batch span processor and the OTLP/HTTP exporter (otlptracehttp), configured by the
//     standard OTEL_* variables (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_SAMPLER, ...): every
//     request is sampled by default, and OTEL_SDK_DISABLED=true leaves tracing off;
//   - logging: log/slog's JSONHandler on stdout, one access-log line per request from a small gin
//     middleware, with the trace and span ids of the request's span;
//   - metrics: a prometheus/client_golang histogram of request durations by method, route and
//     status, served by promhttp on METRICS_PORT (default 9464);
//   - /livez and /readyz, neither traced, logged nor measured (as in the skeleton).
//
// It listens on loopback only, on PORT (default 8080), and flushes its spans on SIGTERM.
package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

const (
	serviceName     = "std-gin"
	shutdownTimeout = 5 * time.Second
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	if err := run(logger); err != nil {
		logger.Error("exiting", slog.Any("error", err))
		os.Exit(1)
	}
}

func run(logger *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	shutdownTracing, err := setupTracing(ctx)
	if err != nil {
		return err
	}

	requestDuration := promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "http_request_duration_seconds",
		Help:    "Duration of HTTP requests.",
		Buckets: prometheus.DefBuckets,
	}, []string{"method", "route", "status"})

	gin.SetMode(gin.ReleaseMode)
	router := gin.New()
	router.Use(gin.Recovery())
	router.GET("/livez", health)
	router.GET("/readyz", health)
	// The API: traced, then logged and measured inside the span, so the log line has its ids.
	api := router.Group("",
		otelgin.Middleware(serviceName), accessLog(logger), observe(requestDuration),
	)
	api.GET("/v1/hello/:name", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"message": "hello, " + c.Param("name")})
	})

	metricsMux := http.NewServeMux()
	metricsMux.Handle("/metrics", promhttp.Handler())
	servers := []*http.Server{
		{Addr: "127.0.0.1:" + envOr("PORT", "8080"), Handler: router.Handler()},
		{Addr: "127.0.0.1:" + envOr("METRICS_PORT", "9464"), Handler: metricsMux},
	}
	failed := make(chan error, len(servers))
	for _, server := range servers {
		go func() { failed <- server.ListenAndServe() }()
	}
	select {
	case err = <-failed:
	case <-ctx.Done():
	}

	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	for _, server := range servers {
		err = errors.Join(err, server.Shutdown(shutdownCtx))
	}
	return errors.Join(err, shutdownTracing(shutdownCtx))
}

// setupTracing installs the global tracer provider and propagator otelgin uses, and returns the
// provider's shutdown, which exports the spans still queued.
func setupTracing(ctx context.Context) (func(context.Context) error, error) {
	if disabled, _ := strconv.ParseBool(os.Getenv("OTEL_SDK_DISABLED")); disabled {
		// The global provider stays OpenTelemetry's no-op one.
		return func(context.Context) error { return nil }, nil
	}
	exporter, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, err
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(serviceName)),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
		resource.WithTelemetrySDK(),
	)
	if err != nil {
		return nil, err
	}
	provider := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
	otel.SetTracerProvider(provider)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(
		propagation.TraceContext{}, propagation.Baggage{},
	))
	return provider.Shutdown, nil
}

// accessLog writes one JSON line per request once it has been served.
func accessLog(logger *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		ctx := c.Request.Context()
		span := trace.SpanContextFromContext(ctx)
		logger.InfoContext(ctx, "request",
			slog.String("method", c.Request.Method),
			slog.String("route", c.FullPath()),
			slog.String("path", c.Request.URL.Path),
			slog.Int("status", c.Writer.Status()),
			slog.Float64("duration_ms", float64(time.Since(start))/float64(time.Millisecond)),
			slog.String("trace_id", span.TraceID().String()),
			slog.String("span_id", span.SpanID().String()),
		)
	}
}

// observe records each request's duration in the histogram.
func observe(duration *prometheus.HistogramVec) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		status := strconv.Itoa(c.Writer.Status())
		elapsed := time.Since(start).Seconds()
		duration.WithLabelValues(c.Request.Method, c.FullPath(), status).Observe(elapsed)
	}
}

func health(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

func envOr(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

"""A minimal local OTLP/HTTP receiver: accepts protobuf trace exports and keeps the spans.

It decodes with the official opentelemetry-proto package, so what the checker sees is what a
real collector would see.
"""

from __future__ import annotations

import functools
import gzip
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class ReceivedSpan:
    """One exported span, flattened for assertions."""

    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    kind: str
    attributes: dict[str, Any]
    status_code: str
    resource: dict[str, Any]


@dataclass
class OtlpReceiver:
    """Collects spans posted to /v1/traces on a free loopback port.

    The first refuse_first trace exports are answered 503 and dropped, as a collector that is
    briefly overloaded would; answers lists the status of every trace export, in order.
    """

    refuse_first: int = 0
    spans: list[ReceivedSpan] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("the receiver is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> OtlpReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                status = receiver.accept(self.path, body)
                self.send_response(status)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Stay quiet: the checker reports what matters."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits for it, once per scenario.
        serve = functools.partial(self._server.serve_forever, poll_interval=0.05)
        threading.Thread(target=serve, daemon=True).start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def accept(self, path: str, body: bytes) -> int:
        """Decode one export request and return the status to answer; only traces are kept."""
        if not path.endswith("/v1/traces"):
            return 200
        with self._lock:
            refused = len(self.answers) < self.refuse_first
            self.answers.append(503 if refused else 200)
        if refused:
            return 503
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
        from opentelemetry.proto.trace.v1 import trace_pb2

        request = trace_service_pb2.ExportTraceServiceRequest()
        request.ParseFromString(body)
        decoded = []
        for resource_spans in request.resource_spans:
            resource = _attributes(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    decoded.append(
                        ReceivedSpan(
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                            name=span.name,
                            kind=trace_pb2.Span.SpanKind.Name(span.kind),
                            attributes=_attributes(span.attributes),
                            status_code=trace_pb2.Status.StatusCode.Name(span.status.code),
                            resource=resource,
                        )
                    )
        with self._lock:
            self.spans.extend(decoded)
        return 200


def _attributes(pairs: Any) -> dict[str, Any]:
    """Turn OTLP KeyValue lists into a dict, keeping int vs string distinct."""
    out: dict[str, Any] = {}
    for pair in pairs:
        kind = pair.value.WhichOneof("value")
        out[pair.key] = getattr(pair.value, kind) if kind else None
    return out

"""The checker's OTLP receiver: what it keeps, and the exports it refuses on purpose."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from generator.conformance._otlp import OtlpReceiver


def _export(endpoint: str, name: str) -> int:
    """POST one span named name to the receiver; return the status it answered."""
    request = trace_service_pb2.ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add()
    span.name, span.kind = name, trace_pb2.Span.SPAN_KIND_SERVER
    span.trace_id, span.span_id = bytes(range(16)), bytes(range(8))
    post = urllib.request.Request(
        f"{endpoint}/v1/traces",
        data=request.SerializeToString(),
        headers={"Content-Type": "application/x-protobuf"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(post, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.parametrize("refused", [0, 2])
def test_the_first_exports_are_refused_and_dropped(refused: int) -> None:
    with OtlpReceiver(refuse_first=refused) as receiver:
        statuses = [_export(receiver.endpoint, f"span-{n}") for n in range(3)]
    assert statuses == [503] * refused + [200] * (3 - refused)
    assert receiver.answers == statuses
    assert [s.name for s in receiver.spans] == [f"span-{n}" for n in range(refused, 3)]
    assert {s.kind for s in receiver.spans} == {"SPAN_KIND_SERVER"}


def test_other_signals_are_accepted_and_not_kept() -> None:
    with OtlpReceiver(refuse_first=1) as receiver:
        post = urllib.request.Request(f"{receiver.endpoint}/v1/metrics", data=b"", method="POST")
        with urllib.request.urlopen(post, timeout=5) as response:
            assert response.status == 200
    assert receiver.answers == []
    assert receiver.spans == []

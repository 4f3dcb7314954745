"""Optional OpenTelemetry spans: off and costless unless an endpoint is configured.

Every stage and every API request opens a span through ``span()``; without
``PRODUCTHUNT_OTLP_ENDPOINT`` (or without the ``otel`` extra) it is a no-op context manager.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_tracer: Any = None


def configure_tracing(endpoint: str | None, service_name: str = "producthuntdb") -> bool:
    """Install a tracer exporting to ``endpoint`` (an OTLP/HTTP URL, or ``console``).

    Returns False when tracing stays off (no endpoint, or the ``otel`` extra is missing).
    """
    global _tracer
    if not endpoint:
        _tracer = None
        return False
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import (
            BatchSpanProcessor,
            ConsoleSpanExporter,
            SimpleSpanProcessor,
        )
    except ImportError:
        return False
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if endpoint == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    _tracer = provider.get_tracer("producthuntdb")
    return True


@contextmanager
def span(name: str, **attributes: Any) -> Iterator[Any]:
    """A span named ``name``; yields the span (or None when tracing is off) to add attributes."""
    if _tracer is None:
        yield None
        return
    with _tracer.start_as_current_span(name) as current:
        for key, value in attributes.items():
            if value is not None:
                current.set_attribute(key, value)
        yield current

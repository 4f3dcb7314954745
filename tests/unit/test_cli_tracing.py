"""Tracing is off and costless by default; the CLI configures it once per command."""

from __future__ import annotations

import importlib.util

from producthuntdb import tracing
from producthuntdb.logs import stage_context


def test_no_endpoint_means_no_tracer_and_noop_spans() -> None:
    assert tracing.configure_tracing(None) is False
    with stage_context("sync") as span:
        assert span is None
    with tracing.span("stage.x", points=1) as span:
        assert span is None, "no tracer: a span is a no-op"


def test_console_exporter_needs_the_otel_extra() -> None:
    try:
        has_sdk = importlib.util.find_spec("opentelemetry.sdk") is not None
    except ModuleNotFoundError:  # not even opentelemetry-api
        has_sdk = False
    try:
        assert tracing.configure_tracing("console") is has_sdk
        if has_sdk:
            with stage_context("build") as span:
                assert span is not None
    finally:
        tracing.configure_tracing(None)

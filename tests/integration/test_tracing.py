"""With the otel extra and an exporter configured, every API request becomes a span with its points and status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from producthuntdb import tracing
from producthuntdb.api.client import GraphQLClient
from producthuntdb.api.queries import load_query
from producthuntdb.emulator import EmulatorServer
from producthuntdb.logs import stage_context
from tests.plugins.pipeline import test_settings

pytest.importorskip("opentelemetry.sdk", reason="the otel extra is not installed")


def _spans(text: str) -> list[dict]:
    """ConsoleSpanExporter prints one indented JSON document per span."""
    decoder, spans, index = json.JSONDecoder(), [], 0
    while (start := text.find("{", index)) != -1:
        span, index = decoder.raw_decode(text, start)
        spans.append(span)
    return spans


def test_api_requests_and_stages_are_exported_as_spans(
    emulator: EmulatorServer, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    settings = test_settings(tmp_path, emulator.url)
    assert tracing.configure_tracing("console") is True
    try:
        with stage_context("sync"), GraphQLClient(settings) as client:
            client.execute(load_query("viewer"))
    finally:
        tracing.configure_tracing(None)
    spans = {span["name"]: span for span in _spans(capfd.readouterr().out)}
    request = spans["api.request"]
    assert request["attributes"]["cost"] == client.cost(load_query("viewer"))
    assert request["attributes"]["http.status_code"] == 200
    assert spans["stage.sync"]["attributes"]["stage"] == "sync"
    assert request["parent_id"] == spans["stage.sync"]["context"]["span_id"]
    assert "test-token" not in json.dumps(spans)

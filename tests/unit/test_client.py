"""HTTP edge cases of the GraphQL client (respx): retries, 401, validation errors, 429, masking."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import respx
from pydantic import SecretStr

from producthuntdb import __version__
from producthuntdb.api.client import GraphQLClient
from producthuntdb.api.governor import BudgetGovernor, StopRun
from producthuntdb.api.queries import load_query
from producthuntdb.errors import ApiError, GraphQLQueryError, QueryTooComplexError, TokenRejectedError
from producthuntdb.settings import Settings

URL = "http://api.test/v2/api/graphql"
TOKEN = "secret-token-0123456789abcdef"
RATE = {"X-Rate-Limit-Limit": "6250", "X-Rate-Limit-Remaining": "6000", "X-Rate-Limit-Reset": "600"}
OK = {"data": {"posts": {"nodes": [{"createdAt": "2026-10-01T11:00:00Z"}]}}}


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(tmp_path: Path, sleeps: list[float]) -> Iterator[GraphQLClient]:
    settings = Settings(data_dir=tmp_path, api_url=URL, token=SecretStr(TOKEN), environment="testing", max_retries=3)
    governor = BudgetGovernor(sleep=sleeps.append)
    with GraphQLClient(settings, governor, backoff_base=0.01, sleep=sleeps.append) as c:
        yield c


QUERY = load_query("newest_post")


@respx.mock
def test_success_sends_token_user_agent_and_feeds_the_governor(client: GraphQLClient) -> None:
    route = respx.post(URL).mock(return_value=httpx.Response(200, json=OK, headers=RATE))
    data = client.execute(QUERY)
    assert data == OK["data"]
    request = route.calls.last.request
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["user-agent"].startswith(f"producthuntdb/{__version__}")
    assert json.loads(request.content)["query"] == QUERY
    assert client.governor.points == 3 and client.governor.rate.remaining == 6000


@respx.mock
def test_401_stops_at_once_with_one_line(client: GraphQLClient) -> None:
    route = respx.post(URL).mock(return_value=httpx.Response(401, json={"error": "invalid token"}))
    with pytest.raises(TokenRejectedError) as err:
        client.execute(QUERY)
    assert str(err.value) == "the API rejected the token (HTTP 401): check PRODUCTHUNT_TOKEN"
    assert route.call_count == 1


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(500),
        httpx.Response(502, text="bad gateway"),
        httpx.Response(503),
        httpx.Response(200, text='{"data": {"po'),
        httpx.Response(200, json={"errors": [{"message": "Oops, something went wrong"}]}),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("reset"),
    ],
    ids=["500", "502", "503", "malformed", "oops", "connect", "timeout", "reset"],
)
@respx.mock
def test_transient_failures_are_retried(client: GraphQLClient, sleeps: list[float], failure: httpx.Response | Exception) -> None:
    respx.post(URL).mock(side_effect=[failure, httpx.Response(200, json=OK, headers=RATE)])
    assert client.execute(QUERY) == OK["data"]
    assert client.retries == 1
    assert len(sleeps) == 1 and 0.0 < sleeps[0] < 0.05
    assert client.governor.points == 3  # the failed attempt was not charged


@respx.mock
def test_retries_are_bounded_then_a_clear_error_without_the_token(
    client: GraphQLClient, sleeps: list[float]
) -> None:
    route = respx.post(URL).mock(return_value=httpx.Response(503, text=f"echo {TOKEN}"))
    with pytest.raises(ApiError) as err:
        client.execute(QUERY)
    assert route.call_count == 4  # 1 + max_retries
    assert "failed 4 times" in str(err.value) and "HTTP 503" in str(err.value)
    assert TOKEN not in str(err.value)
    assert len(sleeps) == 3


@respx.mock
def test_backoff_grows(client: GraphQLClient, sleeps: list[float]) -> None:
    respx.post(URL).mock(return_value=httpx.Response(500))
    with pytest.raises(ApiError):
        client.execute(QUERY)
    # base 0.01 x 2^k x [0.5, 1.5): the third wait is always longer than the first
    assert sleeps[2] > sleeps[0]


@respx.mock
def test_validation_error_stops_with_the_server_message(client: GraphQLClient) -> None:
    message = "Cannot query field 'nope' on type 'Post'."
    route = respx.post(URL).mock(return_value=httpx.Response(200, json={"errors": [{"message": message}]}))
    with pytest.raises(GraphQLQueryError, match="Cannot query field 'nope'"):
        client.execute(QUERY)
    assert route.call_count == 1


@respx.mock
def test_429_waits_for_reset_then_succeeds(client: GraphQLClient, sleeps: list[float]) -> None:
    limited = httpx.Response(
        429,
        json={"error": "rate limited"},
        headers={"X-Rate-Limit-Limit": "6250", "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": "7"},
    )
    respx.post(URL).mock(side_effect=[limited, httpx.Response(200, json=OK, headers=RATE)])
    assert client.execute(QUERY) == OK["data"]
    assert client.governor.n_429 == 1 and client.retries == 0
    assert sleeps == [pytest.approx(7.05)]


@respx.mock
def test_other_4xx_is_an_error(client: GraphQLClient) -> None:
    respx.post(URL).mock(return_value=httpx.Response(403, text="forbidden"))
    with pytest.raises(ApiError, match="HTTP 403"):
        client.execute(QUERY)


@respx.mock
def test_max_points_prevents_the_request(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, api_url=URL, token=SecretStr(TOKEN), environment="testing")
    route = respx.post(URL).mock(return_value=httpx.Response(200, json=OK, headers=RATE))
    with GraphQLClient(settings, BudgetGovernor(max_points=2)) as c, pytest.raises(StopRun):
        c.execute(QUERY)
    assert route.call_count == 0


def test_timeouts_and_pool_come_from_settings(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, api_url=URL, token=SecretStr(TOKEN), environment="testing", connect_timeout=3, read_timeout=7
    )
    with GraphQLClient(settings) as c:
        timeout = c._http.timeout
        assert (timeout.connect, timeout.read) == (3, 7)
        assert c.backoff_base == 1.0  # a remote API gets polite backoff
        assert c.mask(f"x {TOKEN} y") == "x *** y"


@respx.mock
def test_a_page_shrinks_to_spend_the_last_points_of_a_window(client: GraphQLClient) -> None:
    query = load_query("posts_page")
    assert client.fit_first(query) == 20  # nothing known: a full page
    client.governor.observe({"x-rate-limit-limit": "3000", "x-rate-limit-remaining": "341", "x-rate-limit-reset": "3"})
    assert client.fit_first(query) == 16  # 5 + 21 x 16 = 341
    client.governor.observe({"x-rate-limit-remaining": "60"})
    assert client.fit_first(query) == 20  # fewer than 4 posts fit: better to wait for the reset
    client.governor.observe({"x-rate-limit-remaining": "2000"})
    assert client.fit_first(query) == 20


# ---------------------------------------------------------------- issue 13: the real API's own terms
HTML_403 = "<!DOCTYPE html><html><body><h1>Sorry, you have been blocked</h1>" + "x" * 5000 + "</body></html>"


@respx.mock
def test_a_waf_page_is_retried_then_ends_in_one_line_without_the_html(client: GraphQLClient) -> None:
    respx.post(URL).mock(return_value=httpx.Response(403, text=HTML_403, headers={"Content-Type": "text/html"}))
    with pytest.raises(ApiError) as err:
        client.execute(QUERY)
    message = str(err.value)
    assert "HTTP 403 (text/html," in message and "firewall" in message
    assert "<" not in message and "\n" not in message and len(message) < 300


@respx.mock
def test_an_html_502_is_retried(client: GraphQLClient) -> None:
    page = httpx.Response(502, text="<html>Bad Gateway</html>", headers={"Content-Type": "text/html"})
    respx.post(URL).mock(side_effect=[page, httpx.Response(200, json=OK, headers=RATE)])
    assert client.execute(QUERY) == OK["data"] and client.retries == 1


@respx.mock
def test_retries_are_said_at_info_with_their_wait(client: GraphQLClient) -> None:
    from loguru import logger

    records: list[tuple[str, str]] = []
    sink = logger.add(lambda m: records.append((m.record["level"].name, m.record["message"])), level="DEBUG")
    try:
        respx.post(URL).mock(side_effect=[httpx.Response(503), httpx.Response(200, json=OK, headers=RATE)])
        client.execute(QUERY)
    finally:
        logger.remove(sink)
    assert any(level == "INFO" and text.startswith("retry 1/3 in ") and "HTTP 503" in text for level, text in records)


@respx.mock
def test_retry_after_is_honoured(client: GraphQLClient, sleeps: list[float]) -> None:
    limited = httpx.Response(429, json={"error": "slow down"}, headers={"Retry-After": "12"})
    respx.post(URL).mock(side_effect=[limited, httpx.Response(200, json=OK, headers=RATE)])
    assert client.execute(QUERY) == OK["data"]
    assert sleeps == [pytest.approx(12.05)]


@respx.mock
def test_a_bare_429_waits_a_default_not_forever(client: GraphQLClient, sleeps: list[float]) -> None:
    respx.post(URL).mock(side_effect=[httpx.Response(429), httpx.Response(200, json=OK, headers=RATE)])
    assert client.execute(QUERY) == OK["data"]
    assert sleeps == [pytest.approx(5.05)]


@respx.mock
def test_an_epoch_reset_is_read_on_the_api_clock(client: GraphQLClient, sleeps: list[float]) -> None:
    date = "Thu, 01 Oct 2026 12:00:00 GMT"  # months away from this machine's clock: the API's clock counts
    epoch = 1790856000  # 2026-10-01T12:00:00Z
    first = httpx.Response(200, json=OK, headers={**RATE, "X-Rate-Limit-Reset": "30", "Date": date})
    limited = httpx.Response(
        429, json={}, headers={"X-Rate-Limit-Limit": "6250", "X-Rate-Limit-Remaining": "0",
                               "X-Rate-Limit-Reset": str(epoch + 20), "Date": date},
    )
    respx.post(URL).mock(side_effect=[first, limited, httpx.Response(200, json=OK, headers=RATE)])
    client.execute(QUERY)
    client.execute(QUERY)
    assert len(sleeps) == 1 and 19 <= sleeps[0] <= 30.1  # ~20 s, never more than the 30 s window


@respx.mock
def test_charged_points_are_measured_and_the_price_learned(client: GraphQLClient) -> None:
    query = load_query("posts_page")
    estimate = client.cost(query, {"first": 20})
    assert estimate == 425
    answers = [
        httpx.Response(200, json={"data": {}}, headers={**RATE, "X-Rate-Limit-Remaining": "6000"}),
        httpx.Response(200, json={"data": {}}, headers={**RATE, "X-Rate-Limit-Remaining": "5556"}),
        httpx.Response(200, json={"data": {}}, headers={**RATE, "X-Rate-Limit-Remaining": "5112"}),
    ]
    respx.post(URL).mock(side_effect=answers)
    for _ in answers:
        client.execute(query, {"first": 20})
    # first request: nothing known before it, the price is trusted; then 444 (legacy-nodes) measured twice
    assert client.governor.points == 425 + 444 + 444
    assert client.price(query, {"first": 20}) == 444
    assert client.price(query, {"first": 10}) == math.ceil(client.cost(query, {"first": 10}) * 444 / 425)
    assert client.price(load_query("collections_page")) >= math.ceil(705 * 444 / 425)


@respx.mock
def test_without_rate_headers_the_client_paces_on_its_own_ledger(tmp_path: Path, sleeps: list[float]) -> None:
    settings = Settings(data_dir=tmp_path, api_url=URL, token=SecretStr(TOKEN), environment="testing")
    governor = BudgetGovernor(sleep=sleeps.append)
    respx.post(URL).mock(return_value=httpx.Response(200, json={"data": {}}))
    with GraphQLClient(settings, governor, sleep=sleeps.append) as c:
        query = load_query("posts_page")
        for _ in range(15):  # 14 pages of 425 fit in 6,250; the 15th waits for the window
            c.execute(query, {"first": 20})
    assert len(sleeps) == 1 and 899 < sleeps[0] <= 900.05
    assert governor.points == 15 * 425


@respx.mock
def test_partial_answers_keep_their_good_nodes(client: GraphQLClient) -> None:
    partial = {
        "data": {"posts": {"nodes": [None, {"id": "2"}]}},
        "errors": [{"message": "could not load", "path": ["posts", "nodes", 0]}],
    }
    respx.post(URL).mock(return_value=httpx.Response(200, json=partial, headers=RATE))
    result = client.execute_partial(QUERY)
    assert result.partial and result.data == partial["data"] and result.errors == partial["errors"]


@respx.mock
def test_execute_retries_a_partial_answer_then_gets_the_whole(client: GraphQLClient) -> None:
    partial = {"data": {"posts": {"nodes": [None]}}, "errors": [{"message": "could not load"}]}
    respx.post(URL).mock(side_effect=[httpx.Response(200, json=partial, headers=RATE), httpx.Response(200, json=OK, headers=RATE)])
    assert client.execute(QUERY) == OK["data"] and client.retries == 1


@respx.mock
def test_a_complexity_refusal_is_retried_then_names_the_price(client: GraphQLClient) -> None:
    refusal = {"errors": [{"message": "Query has complexity of 900, which exceeds max complexity of 500"}]}
    route = respx.post(URL).mock(return_value=httpx.Response(200, json=refusal, headers=RATE))
    with pytest.raises(QueryTooComplexError) as err:
        client.execute(QUERY)
    assert route.call_count == 4 and (err.value.cost, err.value.limit) == (900, 500)
    assert client.price(QUERY) == 900  # the server said what it costs


@respx.mock
def test_the_server_clock_comes_from_date(client: GraphQLClient) -> None:
    date = "Thu, 01 Oct 2026 12:00:00 GMT"
    respx.post(URL).mock(return_value=httpx.Response(200, json=OK, headers={**RATE, "Date": date}))
    client.execute(QUERY)
    now = client.server_clock.now()
    assert now.isoformat().startswith("2026-10-01T12:00:0")
    assert client.server_clock.skew_seconds is not None and client.server_clock.skew_seconds < -86400


@respx.mock
def test_after_a_retry_after_wait_the_next_charge_is_not_guessed_from_a_fresh_window(
    client: GraphQLClient,
) -> None:
    limited = httpx.Response(429, json={}, headers={"Retry-After": "1"})
    answers = [
        httpx.Response(200, json=OK, headers={**RATE, "X-Rate-Limit-Remaining": "6000"}),
        limited,
        httpx.Response(200, json=OK, headers={**RATE, "X-Rate-Limit-Remaining": "5997"}),  # same window
        httpx.Response(200, json=OK, headers={**RATE, "X-Rate-Limit-Remaining": "5994"}),
    ]
    respx.post(URL).mock(side_effect=answers)
    client.execute(QUERY)
    client.execute(QUERY)
    client.execute(QUERY)
    assert client.governor.points == 3 + 3 + 3  # not 6250 - 5997 after the wait

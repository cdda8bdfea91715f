"""weightwatch.http against the fake Hub: endpoint, headers, retries, rate limits."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from weightwatch import __version__
from weightwatch.errors import RateLimited, SourceError, SourceRefused
from weightwatch.http import (
    DEFAULT_ENDPOINT,
    HubClient,
    RetryPolicy,
    resolve_endpoint,
    resolve_token,
    retry_after_seconds,
)
from weightwatch.testing import FakeClock, FakeHub, Fault, Faults, synthetic_models

MODELS = synthetic_models(300, seed=5)
FAST = RetryPolicy(base_delay=0.5, max_delay=4.0, max_retries=3, read_timeout=5.0)


class Recorder:
    """An injected ``sleep``: records the waits, sleeps not at all."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def _client(hub: FakeHub, sleep: Any, **kwargs: Any) -> HubClient:
    return HubClient(hub.url, sleep=sleep, retry=kwargs.pop("retry", FAST), **kwargs)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_endpoint_and_token_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    assert resolve_endpoint() == DEFAULT_ENDPOINT == "https://huggingface.co"
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9999/")
    assert resolve_endpoint() == "http://127.0.0.1:9999"
    assert resolve_endpoint("https://mirror.example/") == "https://mirror.example"
    with pytest.raises(SourceError, match="invalid Hub endpoint"):
        resolve_endpoint("ftp://nope")
    assert resolve_token() is None
    monkeypatch.setenv("HF_TOKEN", " hf_env ")
    assert resolve_token() == "hf_env"
    assert resolve_token("hf_arg") == "hf_arg"


def test_retry_after_parsing() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(" 0 ") == 0.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    now = time.time()
    later = format_datetime(datetime.fromtimestamp(now, UTC) + timedelta(seconds=90), usegmt=True)
    assert retry_after_seconds(later, now=now) == pytest.approx(90, abs=1)
    earlier = format_datetime(datetime.fromtimestamp(now - 60, UTC), usegmt=True)
    assert retry_after_seconds(earlier, now=now) == 0.0


def test_headers_user_agent_token_and_hf_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with FakeHub(MODELS) as hub, FakeHub(MODELS[:3]) as other:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        anonymous = HubClient()
        assert anonymous.endpoint == hub.url
        answer = anonymous.get_json(anonymous.url("api/models"), [("limit", "5")], expect=list)
        assert [m["id"] for m in answer.data] == [m["id"] for m in MODELS[:5]]
        assert answer.total_count == len(MODELS) and answer.next_url is not None
        monkeypatch.setenv("HF_TOKEN", "hf_secret")
        authed = HubClient()
        authed.get_json(authed.url("api/models"), [("limit", "1")])
        authed.get_json(f"{other.url}/api/models")  # another origin: no token sent there
    first, second = hub.requests
    assert first.user_agent is not None and first.user_agent.startswith(
        f"weightwatch/{__version__};"
    )
    assert first.authorization is None
    assert second.authorization == "Bearer hf_secret"
    assert other.requests[0].authorization is None


def test_429_retry_after_seconds_and_http_date_are_honoured() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    faults = Faults(
        pages={
            1: Fault(status=429, headers={"Retry-After": "7"}),
            2: Fault(status=429, headers={"Retry-After": later}),
        }
    )
    sleep = Recorder()
    with FakeHub(MODELS, page_size=100, faults=faults) as hub:
        client = _client(hub, sleep)
        first = client.get_json(client.url("api/models"), expect=list)
        assert first.next_url is not None
        second = client.get_json(first.next_url, expect=list)
    assert [m["id"] for m in first.data + second.data] == [m["id"] for m in MODELS[:200]]
    assert len(sleep.waits) == 2
    assert 7 <= sleep.waits[0] <= 7 * 1.05  # exactly as asked, plus a little jitter
    assert 118 <= sleep.waits[1] <= 121 + 1  # the HTTP-date, plus at most 1 s of jitter
    assert client.stats.rate_limited == 2


def test_429_ratelimit_header_without_retry_after() -> None:
    faults = Faults(pages={1: Fault(status=429, headers={"RateLimit": '"api";r=0;t=12'})})
    sleep = Recorder()
    with FakeHub(MODELS, faults=faults) as hub:
        client = _client(hub, sleep)
        client.get_json(client.url("api/models"))
    assert len(sleep.waits) == 1 and 12 <= sleep.waits[0] <= 12.6


def test_token_bucket_waits_and_quota_pacing() -> None:
    # without RateLimit headers the client meets 429s and waits what Retry-After says
    clock = FakeClock()
    with FakeHub(MODELS, rate_limit=(2, 20.0), ratelimit_headers=False, clock=clock.now) as hub:
        client = _client(hub, clock.sleep)
        for _ in range(4):
            client.get_json(client.url("api/models"), [("limit", "1")])
    assert [r.status for r in hub.requests] == [200, 200, 429, 200, 429, 200]
    assert len(clock.sleeps) == 2 and all(10 <= w <= 10.5 for w in clock.sleeps)
    # with them, an answer saying r=0 delays the next request: no 429 at all
    clock = FakeClock()
    with FakeHub(MODELS, rate_limit=(2, 20.0), clock=clock.now) as hub:
        client = _client(hub, clock.sleep)
        for _ in range(4):
            client.get_json(client.url("api/models"), [("limit", "1")])
    assert [r.status for r in hub.requests] == [200] * 4
    assert len(clock.sleeps) == 1 and 20 <= clock.sleeps[0] <= 21


def test_5xx_truncated_dropped_and_slow_answers_are_retried_with_backoff() -> None:
    faults = Faults(
        pages={
            1: Fault(status=503, times=2),
            2: Fault(truncate=True),
            3: Fault(drop=True),
            4: Fault(delay=1.0),
        }
    )
    sleep = Recorder()
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0, max_retries=3, read_timeout=0.3)
    with FakeHub(MODELS, page_size=50, faults=faults) as hub:
        client = _client(hub, sleep, retry=policy)
        url: str | None = client.url("api/models")
        ids: list[str] = []
        while url is not None:
            answer = client.get_json(url, expect=list)
            ids += [m["id"] for m in answer.data]
            url = answer.next_url
    assert ids == [m["id"] for m in MODELS]
    assert client.stats.retries == 5 and len(sleep.waits) == 5
    # full jitter: attempt k waits uniformly in [0, base * 2**k]
    assert 0 <= sleep.waits[0] <= 0.5 and 0 <= sleep.waits[1] <= 1.0
    assert all(0 <= w <= 0.5 for w in sleep.waits[2:])


def test_giving_up_names_url_and_last_status() -> None:
    sleep = Recorder()
    with FakeHub(MODELS, faults=Faults(pages={1: Fault(status=502, times=99)})) as hub:
        client = _client(hub, sleep, retry=RetryPolicy(max_retries=2))
        url = client.url("api/models")
        with pytest.raises(
            SourceError, match=r"giving up after 3 attempts \(last: HTTP 502"
        ) as info:
            client.get_json(url, [("limit", "10")])
    assert f"{url}?limit=10" in str(info.value)
    assert len(sleep.waits) == 2 and len(hub.requests) == 3


def test_client_errors_are_not_retried() -> None:
    sleep = Recorder()
    with FakeHub(MODELS) as hub:
        client = _client(hub, sleep)
        with pytest.raises(SourceRefused, match="HTTP 404: Repository not found") as info:
            client.get_json(client.url("api/models/nobody/nothing"))
        assert info.value.status == 404
        with pytest.raises(SourceRefused, match="HTTP 400"):
            client.get_json(client.url("api/models"), [("expand[]", "bogus")])
    assert sleep.waits == [] and len(hub.requests) == 2


def test_rate_limited_too_often_and_refused_connections() -> None:
    sleep = Recorder()
    faults = Faults(pages={1: Fault(status=429, headers={"Retry-After": "1"}, times=99)})
    with FakeHub(MODELS, faults=faults) as hub:
        client = _client(hub, sleep, retry=RetryPolicy(max_rate_limited=3))
        with pytest.raises(RateLimited, match="still rate limited") as info:
            client.get_json(client.url("api/models"))
    assert info.value.retry_after == 1.0 and len(sleep.waits) == 3

    client = HubClient(f"http://127.0.0.1:{_free_port()}", sleep=sleep, retry=FAST)
    with pytest.raises(SourceError, match="ConnectError") as refused:
        client.get_json(client.url("api/models"))
    assert "giving up after 4 attempts" in str(refused.value)

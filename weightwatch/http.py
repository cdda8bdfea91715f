"""The one place weightwatch talks HTTP: endpoint, headers, timeouts, retries, rate limits.

Requests go through ``huggingface_hub``'s own shared HTTP client
(:func:`huggingface_hub.utils.get_session`, which honours ``HF_HUB_OFFLINE`` and tags each
request with an id), with headers we build here (user agent
``weightwatch/<version>; hf_hub/<version>``, ``Authorization: Bearer`` when a token is
given).  Not ``build_hf_headers``: in huggingface_hub 2.x it runs AI-agent detection, which
fetches ``{HF_ENDPOINT}/api/agent-harnesses`` — a request we did not ask for, against the
endpoint we are paging (seen as a stray 404 on the fake Hub in tests).

The retry policy is ours rather than ``http_backoff``'s, because a collector
running for hours needs more than it offers: an injectable ``sleep`` (tests record the
waits instead of sleeping), ``Retry-After`` as an HTTP-date, jittered waits, and retrying
bodies that arrive truncated or are not JSON.

Policy, per request:

* **429**: wait exactly what the server asks — ``Retry-After`` (seconds or HTTP-date), else
  the ``t`` of ``RateLimit: "api";r=0;t=T`` — plus a small jitter, then retry (bounded by
  :attr:`RetryPolicy.max_rate_limited`).  An answer saying ``r=0`` also delays the *next*
  request by ``t``, so the quota is not overrun in the first place.
* **5xx, 408, timeouts, connection errors, truncated or invalid JSON**: exponential backoff
  with full jitter (a random wait in ``[0, min(max_delay, base_delay * 2**attempt)]``),
  at most :attr:`RetryPolicy.max_retries` retries.
* **other 4xx**: no retry; :class:`~weightwatch.errors.SourceRefused` names the URL and status.

Giving up raises :class:`~weightwatch.errors.SourceError` (``RateLimited`` when the last
answer was a 429) naming the URL and the last status or error.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

# The library's HTTP module under one name across major versions (httpx in 1.x, httpx2 in
# 2.x); its lazy facade does not re-export names in a way mypy sees, hence the ignore.
from huggingface_hub import __version__ as hf_version
from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled
from huggingface_hub.utils import (  # type: ignore[attr-defined]
    fix_hf_endpoint_in_url,
    get_session,
    hf_raise_for_status,
    parse_ratelimit_headers,
)
from huggingface_hub.utils import httpx as hf_httpx  # type: ignore[attr-defined]

from weightwatch import __version__
from weightwatch.errors import RateLimited, SourceError, SourceRefused

DEFAULT_ENDPOINT = "https://huggingface.co"
USER_AGENT_NAME = "weightwatch"

Sleep = Callable[[float], None]
Params = Sequence[tuple[str, str]]

_RETRY_STATUSES = frozenset({408, 500, 502, 503, 504})
_TRANSIENT_ERRORS = (hf_httpx.TimeoutException, hf_httpx.NetworkError, hf_httpx.RemoteProtocolError)


def resolve_endpoint(endpoint: str | None = None) -> str:
    """``endpoint``, else ``$HF_ENDPOINT``, else https://huggingface.co (no trailing slash)."""
    value = endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT
    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SourceError(f"invalid Hub endpoint {value!r}: expected http(s)://host[:port]")
    return value


def resolve_token(token: str | None = None) -> str | None:
    """``token``, else ``$HF_TOKEN``, else None (anonymous).  A token saved by
    ``hf auth login`` is not picked up implicitly: pass it or set HF_TOKEN."""
    value = (token or os.environ.get("HF_TOKEN") or "").strip()
    return value or None


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds asked for by a ``Retry-After`` header: delay-seconds or an HTTP-date."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one request before giving up."""

    max_retries: int = 8  # for 5xx, timeouts, connection errors, bad bodies
    max_rate_limited: int = 20  # 429 answers honoured per request
    base_delay: float = 1.0  # first backoff ceiling (seconds), doubled per attempt
    max_delay: float = 120.0
    rate_limit_jitter: float = 0.05  # waits asked for by the server get up to +5 %…
    rate_limit_jitter_cap: float = 1.0  # …but never more than 1 s extra
    connect_timeout: float = 10.0
    read_timeout: float = 60.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(max_delay, base_delay * 2**attempt)]."""
        return rng.uniform(0.0, min(self.max_delay, self.base_delay * 2**attempt))

    def rate_limit_wait(self, asked: float, rng: random.Random) -> float:
        return asked + rng.uniform(
            0.0, min(self.rate_limit_jitter_cap, asked * self.rate_limit_jitter)
        )


@dataclass
class HubResponse:
    """A successful JSON answer and what paging and rate limiting need from its headers."""

    url: str
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes
    data: Any
    next_url: str | None
    total_count: int | None
    attempts: int = 1


@dataclass
class ClientStats:
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    waited: float = 0.0  # seconds slept (rate limits and backoff)
    waits: list[float] = field(default_factory=list)


class HubClient:
    """Talks to one Hub endpoint with weightwatch's headers and retry policy."""

    def __init__(
        self,
        endpoint: str | None = None,
        token: str | None = None,
        *,
        retry: RetryPolicy | None = None,
        sleep: Sleep = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.endpoint = resolve_endpoint(endpoint)
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.stats = ClientStats()
        token_value = resolve_token(token)
        self._headers = {
            "user-agent": f"{USER_AGENT_NAME}/{__version__}; hf_hub/{hf_version}",
            **({"authorization": f"Bearer {token_value}"} if token_value else {}),
        }
        self._anonymous = {k: v for k, v in self._headers.items() if k.lower() != "authorization"}
        self._origin = _origin(self.endpoint)
        self._timeout = hf_httpx.Timeout(
            self.retry.read_timeout, connect=self.retry.connect_timeout
        )
        self._pending_wait = 0.0

    @property
    def user_agent(self) -> str:
        return self._headers["user-agent"]

    def url(self, path: str) -> str:
        """Absolute URL of an API path on this endpoint."""
        return f"{self.endpoint}/{path.lstrip('/')}"

    def build_url(self, path: str, params: Params | None = None) -> str:
        """Absolute URL of ``path`` (an API path or a URL) with ``params`` encoded in it."""
        base = path if "://" in path else self.url(path)
        return str(hf_httpx.URL(base, params=list(params))) if params else base

    def _wait(self, seconds: float) -> None:
        if seconds <= 0:
            return
        self.stats.waited += seconds
        self.stats.waits.append(seconds)
        self.sleep(seconds)

    def get_json(
        self, url: str, params: Params | None = None, *, expect: type | None = None
    ) -> HubResponse:
        """GET ``url`` and parse its JSON body, retrying per the policy (see the module doc).

        ``expect`` (e.g. ``list``) makes a body of another JSON type count as a bad body."""
        full_url = str(hf_httpx.URL(url, params=params)) if params else url
        headers = self._headers if _origin(url) == self._origin else self._anonymous
        failures = limited = 0
        while True:
            if self._pending_wait:
                wait, self._pending_wait = self._pending_wait, 0.0
                self._wait(wait)
            self.stats.requests += 1
            rate_limited = False
            asked: float | None = None
            try:
                response = get_session().get(
                    url,
                    params=list(params) if params else None,
                    headers=headers,
                    timeout=self._timeout,
                )
            except OfflineModeIsEnabled as exc:
                raise SourceError(f"GET {full_url}: {exc}") from None
            except _TRANSIENT_ERRORS as exc:
                last = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            except (hf_httpx.HTTPError, hf_httpx.InvalidURL) as exc:  # not worth retrying
                raise SourceError(f"GET {full_url}: {type(exc).__name__}: {exc}") from None
            else:
                status = response.status_code
                if 200 <= status < 300:
                    self._note_quota(response.headers)
                    body = response.content
                    try:
                        data = json.loads(body)
                    except ValueError as exc:
                        last = f"HTTP {status} with an invalid JSON body ({len(body)} bytes: {exc})"
                    else:
                        if expect is None or isinstance(data, expect):
                            return HubResponse(
                                url=str(response.url),
                                status=status,
                                headers={k.lower(): v for k, v in response.headers.items()},
                                body=body,
                                data=data,
                                next_url=self._next_url(response),
                                total_count=_int_header(response.headers.get("x-total-count")),
                                attempts=failures + limited + 1,
                            )
                        wanted = expect.__name__
                        last = f"HTTP {status} with a JSON {type(data).__name__}, not a {wanted}"
                elif status == 429:
                    rate_limited = True
                    asked = self._asked_wait(response.headers)
                    last = "HTTP 429 Too Many Requests"
                elif status in _RETRY_STATUSES:
                    last = f"HTTP {status} {response.reason_phrase}".rstrip()
                else:
                    raise _refused(full_url, response)
            if rate_limited:
                limited += 1
                self.stats.rate_limited += 1
                if limited > self.retry.max_rate_limited:
                    raise RateLimited(
                        f"GET {full_url}: still rate limited after {limited - 1} waits "
                        f"(last: {last}); try later, or set HF_TOKEN for a higher limit",
                        retry_after=asked,
                    )
                self.stats.retries += 1
                if asked is not None:
                    self._wait(self.retry.rate_limit_wait(asked, self.rng))
                else:
                    self._wait(self.retry.backoff(limited - 1, self.rng))
                continue
            failures += 1
            if failures > self.retry.max_retries:
                raise SourceError(
                    f"GET {full_url}: giving up after {failures} "
                    f"attempt{'s' if failures > 1 else ''} (last: {last})"
                )
            self.stats.retries += 1
            self._wait(self.retry.backoff(failures - 1, self.rng))

    def _asked_wait(self, headers: Mapping[str, str]) -> float | None:
        asked = retry_after_seconds(headers.get("retry-after"))
        if asked is None:
            info = parse_ratelimit_headers(headers)
            if info is not None and info.remaining == 0:
                asked = float(info.reset_in_seconds)
        return asked

    def _note_quota(self, headers: Mapping[str, str]) -> None:
        """An answer saying the quota is used up (r=0) delays the next request by its t."""
        info = parse_ratelimit_headers(headers)
        if info is not None and info.remaining == 0 and info.reset_in_seconds > 0:
            self._pending_wait = self.retry.rate_limit_wait(float(info.reset_in_seconds), self.rng)

    def _next_url(self, response: hf_httpx.Response) -> str | None:
        link = response.links.get("next", {}).get("url")
        if not link:
            return None
        absolute = urljoin(str(response.url), link)
        # a mirror (HF_ENDPOINT) may hand back links on the main Hub's host
        return fix_hf_endpoint_in_url(absolute, self.endpoint)


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower()


def _int_header(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        number = int(value.strip())
    except ValueError:
        return None
    return number if number >= 0 else None


def _refused(url: str, response: hf_httpx.Response) -> SourceRefused:
    """A non-retryable answer, with the Hub's own explanation when it gives one."""
    try:
        hf_raise_for_status(response)
        detail = ""
    except HfHubHTTPError as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    message = response.headers.get("x-error-message")
    if not message:
        try:
            doc = json.loads(response.content)
            message = doc.get("error") if isinstance(doc, dict) else None
        except ValueError:
            message = None
    reason = message or detail or response.reason_phrase
    return SourceRefused(
        f"GET {url}: HTTP {response.status_code}: {str(reason)[:300]}",
        url=url,
        status=response.status_code,
    )


__all__ = [
    "DEFAULT_ENDPOINT",
    "ClientStats",
    "HubClient",
    "HubResponse",
    "RetryPolicy",
    "resolve_endpoint",
    "resolve_token",
    "retry_after_seconds",
]

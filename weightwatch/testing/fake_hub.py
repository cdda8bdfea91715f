"""A fake Hugging Face Hub: a real HTTP server on 127.0.0.1 that speaks the model-listing API.

It serves a fixed, deterministic list of model dicts in the Hub's own shape:

* ``GET /api/models`` with ``limit``, ``author``, ``pipeline_tag``, ``search``, ``filter``,
  ``sort``/``direction``, ``full`` and ``expand[]`` (or ``expand``).  With ``expand`` only the
  expanded fields are returned, plus ``_id`` and ``id``, as the Hub does; ``expand`` together
  with ``full`` is refused (400), as is an unknown ``expand`` value.  Pages are linked by an
  opaque ``cursor`` in a ``Link: <…>; rel="next"`` header, absent on the last page; the
  filtered total is sent as ``X-Total-Count`` (optional).
* ``GET /api/models/{id}`` (optionally with ``expand[]``); 404 with ``X-Error-Code:
  RepoNotFound`` for an unknown id.
* Rate limiting by token bucket (``rate_limit=(N, window_s)``: bursts of N, refilled at
  N/window per second): 429 with ``Retry-After`` (whole seconds) when empty; every answer
  carries ``RateLimit: "api";r=R;t=T`` and ``RateLimit-Policy: "fixed window";"api";q=N;w=W``
  in the format the Hub uses (and ``huggingface_hub.utils.parse_ratelimit_headers`` reads).
* Faults (:class:`Faults`): seeded random 5xx, truncated bodies (honest Content-Length, JSON
  cut short), dropped connections, slow answers, and per-page or per-model one-off faults.

Use it as a context manager::

    with FakeHub(synthetic_models(5_000), page_size=500) as hub:
        collect(store, query, snapshot_date=day, endpoint=hub.url)

The data comes from :func:`synthetic_models` (seeded: realistic ids and authors,
heavy-tailed downloads, ``base_model:`` tags, card data, safetensors/GGUF totals) or from a
scraper's listing file via :func:`models_from_listing`.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import math
import random
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, get_args
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from huggingface_hub.hf_api import ExpandModelProperty_T

#: ``expand[]`` values the Hub accepts for models (taken from huggingface_hub's own list).
EXPANDABLE: frozenset[str] = frozenset(get_args(ExpandModelProperty_T))

#: Fields a listing returns when neither ``expand`` nor ``full`` is asked for.
LISTING_DEFAULT: tuple[str, ...] = (
    "_id",
    "id",
    "likes",
    "trendingScore",
    "private",
    "downloads",
    "tags",
    "pipeline_tag",
    "library_name",
    "createdAt",
    "modelId",
)
#: Fields only an explicit ``expand`` returns (``full=true`` leaves them out).
EXPAND_ONLY: frozenset[str] = frozenset(
    {"downloadsAllTime", "cardData", "safetensors", "gguf", "baseModels", "config"}
)
_SORT_KEYS = {
    "downloads": "downloads",
    "likes": "likes",
    "createdAt": "createdAt",
    "created_at": "createdAt",
    "lastModified": "lastModified",
    "last_modified": "lastModified",
    "trendingScore": "trendingScore",
    "trending_score": "trendingScore",
    "id": "id",
}


def project(
    model: Mapping[str, Any], expand: Sequence[str] | None = None, full: bool = False
) -> dict[str, Any]:
    """What the Hub returns for ``model`` in a listing with ``expand`` (or ``full``)."""
    if expand:
        out = {"_id": model["_id"], "id": model["id"]}
        out.update({key: model[key] for key in expand if key in model})
        return out
    if full:
        out = {key: value for key, value in model.items() if key not in EXPAND_ONLY}
        out["modelId"] = model["id"]
        return out
    out = {key: model[key] for key in LISTING_DEFAULT if key in model}
    out["modelId"] = model["id"]
    return out


# -- data -------------------------------------------------------------------------------

_ORGS: tuple[tuple[str, int], ...] = (
    ("Qwen", 30),
    ("meta-llama", 14),
    ("unsloth", 40),
    ("bartowski", 45),
    ("mradermacher", 60),
    ("lmstudio-community", 18),
    ("TheBloke", 20),
    ("google", 16),
    ("microsoft", 14),
    ("mistralai", 10),
    ("deepseek-ai", 10),
    ("nvidia", 10),
    ("openai", 3),
    ("sentence-transformers", 8),
    ("BAAI", 8),
    ("stabilityai", 5),
    ("black-forest-labs", 3),
    ("zai-org", 5),
    ("moonshotai", 3),
    ("MaziyarPanahi", 12),
)
_FAMILIES = (
    ("Qwen3", "qwen3", "text-generation"),
    ("Qwen2.5-Coder", "qwen2", "text-generation"),
    ("Llama-3.1", "llama", "text-generation"),
    ("Llama-3.2", "llama", "text-generation"),
    ("Mistral", "mistral", "text-generation"),
    ("gemma-3", "gemma3", "text-generation"),
    ("Phi-4", "phi3", "text-generation"),
    ("DeepSeek-R1-Distill-Qwen", "qwen2", "text-generation"),
    ("SmolLM2", "llama", "text-generation"),
    ("bert-base", "bert", "fill-mask"),
    ("bge", "xlm-roberta", "feature-extraction"),
    ("whisper", "whisper", "automatic-speech-recognition"),
    ("FLUX.1", "flux", "text-to-image"),
    ("vit-base", "vit", "image-classification"),
    ("Qwen2.5-VL", "qwen2_5_vl", "image-text-to-text"),
)
_SIZES = ("0.5B", "1.5B", "3B", "7B", "8B", "14B", "32B", "70B")
_SIZE_PARAMS = {s: int(float(s[:-1]) * 1e9) for s in _SIZES}
_LICENSES = ("apache-2.0", "mit", "llama3.1", "other", "cc-by-nc-4.0", "gemma", "openrail")
_WORDS = (
    "nova", "tiny", "alpha", "river", "quant", "sage", "owl", "pixel", "lab", "neo", "byte",
    "kiwi", "orbit", "maple", "delta", "echo", "lumen", "zephyr", "atlas", "mochi",
)  # fmt: skip
_RELATIONS = ("finetune", "quantized", "adapter", "merge")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def synthetic_models(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` deterministic model dicts in the Hub's shape (every field ``expand`` can return).

    Authors mix big labs and quantizers (Qwen, meta-llama, unsloth, bartowski…) with a long
    tail of individual accounts; downloads are heavy-tailed (many zeros, a few huge);
    derived models declare their parent in ``base_model:`` tags and card data (some only in
    the ``baseModels`` expansion); ``safetensors``/``gguf`` blocks carry parameter totals.
    """
    rng = random.Random(seed)
    org_names = [name for name, _ in _ORGS]
    org_weights = [weight for _, weight in _ORGS]
    users = [
        f"{rng.choice(_WORDS)}{rng.choice(_WORDS)}{rng.randrange(10, 9999)}"
        for _ in range(max(20, n // 6))
    ]
    start = datetime(2021, 3, 1, tzinfo=UTC)
    span = int((datetime(2026, 5, 1, tzinfo=UTC) - start).total_seconds())
    taken: dict[str, int] = {}  # lower-cased name -> next free version number
    originals: list[tuple[str, str, str, str, str]] = []  # id, family, arch, pipeline, size
    models: list[dict[str, Any]] = []
    for index in range(n):
        author = (
            rng.choices(org_names, org_weights)[0]
            if rng.random() < 0.45
            else users[int(len(users) * rng.random() ** 2.5)]
        )
        family, arch, pipeline = rng.choice(_FAMILIES)
        size = rng.choice(_SIZES)
        relation = None
        base = None
        if originals and rng.random() < 0.7:
            relation = rng.choices(_RELATIONS, (50, 30, 12, 8))[0]
            base_id, family, arch, pipeline, size = rng.choice(originals)
            base = base_id
        suffix = {
            None: rng.choice(("", "-Instruct", "-Base", "-Chat")),
            "finetune": rng.choice(("-sft", "-dpo", "-it", "-roleplay", "-math")),
            "quantized": rng.choice(("-GGUF", "-AWQ", "-GPTQ-Int4", "-4bit", "-i1-GGUF")),
            "adapter": rng.choice(("-lora", "-qlora-adapter")),
            "merge": rng.choice(("-merge", "-slerp", "-ties")),
        }[relation]
        name = f"{family}-{size}{suffix}"
        model_id = f"{author}/{name}"
        bump = taken.get(model_id.lower(), 1)
        taken[model_id.lower()] = bump + 1
        if bump > 1:
            model_id = f"{model_id}-v{bump}"
            if model_id.lower() in taken:  # "x-v2" was an original name too
                model_id = f"{model_id}-{index}"
            taken[model_id.lower()] = 2
        gguf_repo = "GGUF" in suffix
        if relation is None:
            originals.append((model_id, family, arch, pipeline, size))
        library: str | None
        if gguf_repo:
            library = "gguf"
        elif relation == "adapter":
            library = "peft"
        elif pipeline == "text-to-image":
            library = "diffusers"
        elif pipeline == "feature-extraction":
            library = "sentence-transformers"
        else:
            library = rng.choices(("transformers", "mlx", None), (88, 7, 5))[0]
        downloads = (
            0 if rng.random() < 0.35 else min(int(rng.paretovariate(0.75) * 3) - 3, 400_000_000)
        )
        all_time = downloads + int(downloads * rng.uniform(0, 40)) + rng.randrange(0, 50)
        created = start + timedelta(seconds=rng.randrange(span))
        modified = created + timedelta(seconds=rng.randrange(0, 90 * 86400))
        license_ = rng.choice(_LICENSES)
        tags = [t for t in (library, "gguf" if gguf_repo else "safetensors", arch, pipeline) if t]
        if pipeline == "text-generation" and rng.random() < 0.6:
            tags.append("conversational")
        declared = base is not None and rng.random() < 0.8  # some parents only in baseModels
        if declared:
            tags += [f"base_model:{base}", f"base_model:{relation}:{base}"]
        tags += [f"license:{license_}", "endpoints_compatible", "region:us"]
        sha = hashlib.sha1(f"{seed}:{index}:sha".encode()).hexdigest()
        model: dict[str, Any] = {
            "_id": hashlib.md5(f"{seed}:{index}".encode()).hexdigest()[:24],
            "id": model_id,
            "author": author,
            "private": False,
            "gated": "manual"
            if author == "meta-llama"
            else ("auto" if rng.random() < 0.02 else False),
            "disabled": False,
            "downloads": downloads,
            "downloadsAllTime": all_time,
            "likes": int(math.sqrt(downloads) * rng.random() / 4),
            "trendingScore": rng.randrange(0, 30) if downloads > 1000 else 0,
            "tags": tags,
            "pipeline_tag": pipeline if rng.random() > 0.04 else None,
            "library_name": library,
            "createdAt": _iso(created),
            "lastModified": _iso(modified),
            "sha": sha,
        }
        if model["pipeline_tag"] is None:
            del model["pipeline_tag"]
        if library is None:
            del model["library_name"]
        if rng.random() < 0.85:
            card: dict[str, Any] = {"license": license_, "tags": tags[:3]}
            if library:
                card["library_name"] = library
            if declared:
                card["base_model"] = base
                card["base_model_relation"] = relation
            model["cardData"] = card
        params = _SIZE_PARAMS[size]
        if gguf_repo:
            model["gguf"] = {"total": params, "architecture": arch, "context_length": 32768}
        elif rng.random() < 0.75:
            dtype = "F32" if pipeline in ("fill-mask", "image-classification") else "BF16"
            model["safetensors"] = {"parameters": {dtype: params}, "total": params}
        if base is not None:
            model["baseModels"] = {"relation": relation, "models": [{"id": base}]}
        models.append(model)
    return models


_SCRAPER_KEYS = {"pipelineTag": "pipeline_tag", "libraryName": "library_name"}
_SCRAPER_DROP = frozenset({"rank", "url"})


def models_from_listing(path: Path) -> list[dict[str, Any]]:
    """Models of a listing file (a JSON array, or a scraper's ``{"models": [...]}`` wrapper,
    possibly gzipped) converted to the Hub's shape: ``pipelineTag`` → ``pipeline_tag``,
    ``libraryName`` → ``library_name``, scraper-only keys dropped, an ``_id`` added."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    doc = json.loads(data)
    records = doc["models"] if isinstance(doc, dict) else doc
    models = []
    for record in records:
        model = {_SCRAPER_KEYS.get(k, k): v for k, v in record.items() if k not in _SCRAPER_DROP}
        for key in ("pipeline_tag", "library_name"):
            if model.get(key) is None:
                model.pop(key, None)
        model.setdefault("_id", hashlib.md5(str(model["id"]).encode()).hexdigest()[:24])
        models.append(model)
    return models


# -- faults and clock ------------------------------------------------------------------


@dataclass
class Fault:
    """One injected misbehaviour, applied to the first ``times`` matching requests."""

    status: int | None = None  # answer with this HTTP status and a JSON error body
    truncate: bool = False  # answer 200 with the JSON cut short (Content-Length honest)
    drop: bool = False  # close the connection without answering
    delay: float = 0.0  # wait this long (real seconds) before answering
    headers: dict[str, str] = field(default_factory=dict)  # e.g. {"Retry-After": "7"}
    times: int = 1


@dataclass
class Faults:
    """Fault injection: seeded random failures plus per-page / per-model one-offs."""

    seed: int = 0
    error_rate: float = 0.0  # share of requests answered with a random 5xx
    error_statuses: tuple[int, ...] = (500, 502, 503, 504)
    truncate_rate: float = 0.0  # share of requests answered with a cut-short body
    drop_rate: float = 0.0  # share of requests whose connection is dropped
    delay: float = 0.0  # every answer waits this long (real seconds)
    pages: dict[int, Fault] = field(default_factory=dict)  # listing page k (1-based)
    details: dict[str, Fault] = field(default_factory=dict)  # GET /api/models/{id}

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def pick(self, page: int | None, model_id: str | None) -> Fault | None:
        """The fault for this request, if any (consumes one use of a one-off fault)."""
        with self._lock:
            one_off = self.pages.get(page) if page is not None else None
            if model_id is not None:
                one_off = self.details.get(model_id)
            if one_off is not None and one_off.times > 0:
                one_off.times -= 1
                return one_off
            roll = self._rng.random()
            if roll < self.error_rate:
                return Fault(status=self._rng.choice(self.error_statuses))
            roll -= self.error_rate
            if roll < self.truncate_rate:
                return Fault(truncate=True)
            roll -= self.truncate_rate
            if roll < self.drop_rate:
                return Fault(drop=True)
            return Fault(delay=self.delay) if self.delay else None


class FakeClock:
    """A clock whose ``sleep`` records the wait and moves time on instantly.

    Give ``now`` to :class:`FakeHub` (``clock=``) and ``sleep`` to the collector: rate-limit
    waits then cost no real time, and ``sleeps`` lists every wait the client asked for."""

    def __init__(self, start: float = 1_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def now(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self._now += max(0.0, seconds)


class _Bucket:
    """Token bucket: ``capacity`` requests at once, refilled at capacity/window per second."""

    def __init__(self, capacity: int, window: float, clock: Callable[[], float]) -> None:
        self.capacity = capacity
        self.window = window
        self.rate = capacity / window
        self.clock = clock
        self.tokens = float(capacity)
        self.stamp = clock()
        self.lock = threading.Lock()

    def take(self) -> tuple[bool, dict[str, str]]:
        with self.lock:
            now = self.clock()
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            allowed = self.tokens >= 1
            if allowed:
                self.tokens -= 1
            remaining = int(self.tokens)
            until_full = (self.capacity - self.tokens) / self.rate
            headers = {
                "RateLimit": f'"api";r={remaining};t={math.ceil(until_full)}',
                "RateLimit-Policy": (
                    f'"fixed window";"api";q={self.capacity};w={max(1, round(self.window))}'
                ),
            }
            if not allowed:
                headers["Retry-After"] = str(max(1, math.ceil((1 - self.tokens) / self.rate)))
            return allowed, headers


# -- the server ------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One request the fake Hub received (for assertions)."""

    path: str  # path and query, as sent
    status: int  # what was answered (0: connection dropped)
    user_agent: str | None
    authorization: str | None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = 1 << 16  # headers and body leave in one write (no Nagle/delayed-ACK stalls)
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.hub._handle(self)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    hub: FakeHub

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout) leaves a broken pipe: not worth a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Refused(Exception):
    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def _decode_cursor(token: str) -> int:
    try:
        padded = token + "=" * (-len(token) % 4)
        offset = json.loads(base64.urlsafe_b64decode(padded))["o"]
    except (ValueError, KeyError, TypeError):
        raise _Refused(400, f"Invalid cursor {token!r}") from None
    if not isinstance(offset, int) or offset < 0:
        raise _Refused(400, f"Invalid cursor {token!r}")
    return offset


class FakeHub:
    """A fake Hub serving ``models`` on ``http://127.0.0.1:PORT`` (see the module doc)."""

    def __init__(
        self,
        models: Iterable[Mapping[str, Any]],
        *,
        page_size: int = 1000,
        max_page_size: int = 1000,
        rate_limit: tuple[int, float] | None = None,
        ratelimit_headers: bool = True,
        total_count: bool = True,
        faults: Faults | None = None,
        clock: Callable[[], float] = time.monotonic,
        port: int = 0,
    ) -> None:
        self.models: list[dict[str, Any]] = [dict(m) for m in models]
        self.page_size = page_size
        self.max_page_size = max_page_size
        self.ratelimit_headers = ratelimit_headers
        self.total_count = total_count
        self.faults = faults or Faults()
        self.bucket = _Bucket(rate_limit[0], rate_limit[1], clock) if rate_limit else None
        self.requests: list[Request] = []
        self._by_id = {str(m["id"]).lower(): i for i, m in enumerate(self.models)}
        self._encoded: dict[tuple[str, ...], list[bytes | None]] = {}
        self._orders: dict[tuple[Any, ...], list[int]] = {}
        self._lock = threading.Lock()
        self._port = port
        self._server: _Server | None = None
        self._url: str | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------
    def start(self) -> FakeHub:
        server = _Server(("127.0.0.1", self._port), _Handler)
        server.hub = self
        self._server = server
        self._url = f"http://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="fake-hub", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (still answerable after ``stop``, for assertions)."""
        if self._url is None:
            raise RuntimeError("FakeHub was never started (use it as a context manager)")
        return self._url

    def warm(self, expand: Sequence[str] | None = None, *, full: bool = False) -> None:
        """Encode every model for this field set now, so that the server's one-time JSON
        encoding stays out of a benchmark's timing."""
        key = ("expand", *sorted(set(expand))) if expand else ("full",) if full else ("default",)
        for index in range(len(self.models)):
            self._encoded_model(index, key)

    def listing_requests(self) -> list[Request]:
        return [r for r in self.requests if urlsplit(r.path).path == "/api/models"]

    # -- handling -------------------------------------------------------------------
    def _handle(self, handler: _Handler) -> None:
        split = urlsplit(handler.path)
        params = parse_qsl(split.query, keep_blank_values=True)
        status = 0
        try:
            headers: dict[str, str] = {}
            if self.bucket is not None:
                allowed, limit_headers = self.bucket.take()
                if self.ratelimit_headers:
                    headers.update(limit_headers)
                if not allowed:
                    retry = {"Retry-After": limit_headers["Retry-After"]}
                    raise _Refused(429, "You have exceeded the rate limit", {**headers, **retry})
            if split.path == "/api/models":
                body, page, extra = self._listing(params)
                fault = self.faults.pick(page, None)
            elif split.path.startswith("/api/models/"):
                model_id = unquote(split.path[len("/api/models/") :])
                fault = self.faults.pick(None, model_id)
                body, extra = (
                    self._details(model_id, params)
                    if fault is None or not fault.status
                    else (b"", {})
                )
            else:
                raise _Refused(404, "Not Found")
            headers.update(extra)
            if fault is not None:
                if fault.delay:
                    time.sleep(fault.delay)
                if fault.drop:
                    handler.close_connection = True
                    return
                if fault.status:
                    raise _Refused(
                        fault.status, f"injected {fault.status}", {**headers, **fault.headers}
                    )
                if fault.truncate:
                    body = body[: max(1, len(body) // 2)]
                headers.update(fault.headers)
            status = 200
            self._send(handler, 200, body, headers)
        except _Refused as refused:
            status = refused.status
            body = json.dumps({"error": refused.message}).encode()
            self._send(handler, refused.status, body, refused.headers)
        finally:
            with self._lock:
                self.requests.append(
                    Request(
                        handler.path,
                        status,
                        handler.headers.get("User-Agent"),
                        handler.headers.get("Authorization"),
                    )
                )

    @staticmethod
    def _send(handler: _Handler, status: int, body: bytes, headers: Mapping[str, str]) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(body)

    def _fields_key(self, params: list[tuple[str, str]]) -> tuple[str, ...]:
        expand = [v for k, v in params if k in ("expand[]", "expand")]
        full = any(k == "full" and v.lower() in ("true", "1") for k, v in params)
        if expand:
            if full or any(k in ("cardData", "config") for k, _ in params):
                raise _Refused(400, "expand cannot be used together with full, cardData or config")
            unknown = sorted(set(expand) - EXPANDABLE)
            if unknown:
                raise _Refused(400, f'"expand" must be one of {sorted(EXPANDABLE)}, got {unknown}')
            return ("expand", *sorted(set(expand)))
        return ("full",) if full else ("default",)

    def _encoded_model(self, index: int, key: tuple[str, ...]) -> bytes:
        cache = self._encoded.get(key)
        if cache is None:
            cache = self._encoded.setdefault(key, [None] * len(self.models))
        data = cache[index]
        if data is None:
            fields = list(key[1:]) if key[0] == "expand" else None
            projected = project(self.models[index], fields, key[0] == "full")
            data = cache[index] = json.dumps(projected, separators=(",", ":")).encode()
        return data

    def _order(self, params: list[tuple[str, str]]) -> list[int]:
        single = dict(params)
        author = single.get("author")
        pipeline = single.get("pipeline_tag")
        search = single.get("search")
        tags = tuple(v for k, v in params if k == "filter")
        sort = single.get("sort")
        if sort is not None and sort not in _SORT_KEYS:
            raise _Refused(400, f"Invalid sort {sort!r}")
        direction = single.get("direction", "-1")
        key = (author and author.lower(), pipeline, search, tags, sort, direction)
        order = self._orders.get(key)
        if order is not None:
            return order
        selected = []
        for i, model in enumerate(self.models):
            if author and str(model["id"]).split("/")[0].lower() != author.lower():
                continue
            if pipeline and model.get("pipeline_tag") != pipeline:
                continue
            if search and search.lower() not in str(model["id"]).lower():
                continue
            if tags and not set(tags) <= set(model.get("tags") or []):
                continue
            selected.append(i)
        if sort is not None:
            field_name = _SORT_KEYS[sort]
            selected.sort(
                key=lambda i: (
                    self.models[i].get(field_name) is not None,
                    self.models[i].get(field_name) or 0,
                ),
                reverse=direction != "1",
            )
        self._orders[key] = selected
        return selected

    def _listing(self, params: list[tuple[str, str]]) -> tuple[bytes, int, dict[str, str]]:
        fields = self._fields_key(params)
        single = dict(params)
        size = self.page_size
        if "limit" in single:
            try:
                size = int(single["limit"])
            except ValueError:
                raise _Refused(400, f"Invalid limit {single['limit']!r}") from None
            if size < 1:
                raise _Refused(400, f"Invalid limit {size}")
        size = min(size, self.max_page_size)
        offset = _decode_cursor(single["cursor"]) if "cursor" in single else 0
        order = self._order(params)
        chunk = order[offset : offset + size]
        body = b"[" + b",".join(self._encoded_model(i, fields) for i in chunk) + b"]"
        headers: dict[str, str] = {}
        if self.total_count:
            headers["X-Total-Count"] = str(len(order))
        if offset + size < len(order):
            query = urlencode([(k, v) for k, v in params if k != "cursor"])
            cursor = _encode_cursor(offset + size)
            link = f"{self.url}/api/models?{query}{'&' if query else ''}cursor={cursor}"
            headers["Link"] = f'<{link}>; rel="next"'
        return body, offset // size + 1, headers

    def _details(
        self, model_id: str, params: list[tuple[str, str]]
    ) -> tuple[bytes, dict[str, str]]:
        index = self._by_id.get(model_id.lower())
        if index is None:
            raise _Refused(404, "Repository not found", {"X-Error-Code": "RepoNotFound"})
        expand = [v for k, v in params if k in ("expand[]", "expand")]
        unknown = sorted(set(expand) - EXPANDABLE)
        if unknown:
            raise _Refused(400, f'"expand" must be one of {sorted(EXPANDABLE)}, got {unknown}')
        model = self.models[index]
        if expand:
            data = project(model, expand)
        else:
            data = {k: v for k, v in model.items() if k != "baseModels"}
            data["modelId"] = model["id"]
        return json.dumps(data).encode(), {}


__all__ = [
    "EXPANDABLE",
    "EXPAND_ONLY",
    "LISTING_DEFAULT",
    "FakeClock",
    "FakeHub",
    "Fault",
    "Faults",
    "Request",
    "models_from_listing",
    "project",
    "synthetic_models",
]

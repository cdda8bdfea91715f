"""The fake Hub speaks the Hub's listing protocol: paging, expand, filters, limits, faults.

These tests talk to it with a plain HTTP client (the library's own ``httpx`` module), not
through weightwatch, so that the fake is checked independently of the collector.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub.utils import httpx, parse_ratelimit_headers

from weightwatch.testing import (
    EXPANDABLE,
    FakeClock,
    FakeHub,
    Fault,
    Faults,
    models_from_listing,
    project,
    synthetic_models,
)

EXPAND = ["downloads", "tags", "cardData", "safetensors", "gguf"]


def _expand(*names: str) -> list[tuple[str, str]]:
    return [("expand[]", name) for name in names]


def _all_pages(
    client: httpx.Client, url: str, params: list[tuple[str, str]]
) -> tuple[list[dict[str, Any]], list[httpx.Response]]:
    responses = [client.get(url, params=params)]
    while "next" in responses[-1].links:
        responses.append(client.get(responses[-1].links["next"]["url"]))
    items = [item for r in responses for item in r.json()]
    return items, responses


@pytest.fixture(scope="module")
def models() -> list[dict[str, Any]]:
    return synthetic_models(1_200, seed=7)


@pytest.fixture
def client() -> Any:
    with httpx.Client(timeout=10) as c:
        yield c


def test_synthetic_models_are_deterministic_and_realistic(models: list[dict[str, Any]]) -> None:
    assert synthetic_models(1_200, seed=7) == models
    assert synthetic_models(50, seed=8) != models[:50]
    ids = [m["id"] for m in models]
    assert len({i.lower() for i in ids}) == len(ids)
    assert all(i.count("/") == 1 and " " not in i for i in ids)
    authors = {i.split("/")[0] for i in ids}
    assert {"Qwen", "meta-llama", "unsloth", "bartowski"} <= authors
    downloads = [m["downloads"] for m in models]
    assert sum(d == 0 for d in downloads) > len(models) / 5  # many never downloaded
    assert max(downloads) > 100 * statistics.median(downloads) + 1000  # heavy tail
    assert all(m["downloadsAllTime"] >= m["downloads"] for m in models)
    tagged = [m for m in models if any(t.startswith("base_model:") for t in m["tags"])]
    assert len(tagged) > len(models) / 3
    assert any("baseModels" in m and m not in tagged for m in models)  # only in the expansion
    assert any(m.get("safetensors", {}).get("total") for m in models)
    assert any(m.get("gguf", {}).get("total") for m in models)
    assert {m.get("gated") for m in models} >= {False, "manual"}


def test_listing_pages_follow_link_and_return_only_expanded_fields(
    models: list[dict[str, Any]], client: httpx.Client
) -> None:
    with FakeHub(models, page_size=500) as hub:
        base = hub.url
        params = [*_expand(*EXPAND), ("limit", "100")]
        items, responses = _all_pages(client, f"{base}/api/models", params)
    assert len(responses) == 12
    assert "next" not in responses[-1].links
    assert all(r.headers["x-total-count"] == str(len(models)) for r in responses)
    assert [i["id"] for i in items] == [m["id"] for m in models]
    assert items == [project(m, EXPAND) for m in models]
    assert set(items[0]) <= {"_id", "id", *EXPAND}
    # the link keeps the query and carries an opaque cursor
    link = responses[0].links["next"]["url"]
    assert link.startswith(f"{base}/api/models?") and "cursor=" in link
    assert "limit=100" in link and "expand%5B%5D=cardData" in link


def test_listing_defaults_full_filters_and_sort(
    models: list[dict[str, Any]], client: httpx.Client
) -> None:
    with FakeHub(models, page_size=1000) as hub:
        url = f"{hub.url}/api/models"
        default = client.get(url, params={"limit": "3"}).json()
        assert set(default[0]) >= {"_id", "id", "downloads", "tags", "modelId"}
        assert "cardData" not in default[0] and "downloadsAllTime" not in default[0]
        full = client.get(url, params={"limit": "3", "full": "true"}).json()
        assert "sha" in full[0] and "safetensors" not in full[0]

        qwen, _ = _all_pages(client, url, [("author", "qwen"), *_expand("downloads")])
        assert [m["id"] for m in qwen] == [m["id"] for m in models if m["author"] == "Qwen"]
        speech, _ = _all_pages(client, url, [("pipeline_tag", "automatic-speech-recognition")])
        assert speech and len(speech) == sum(
            m.get("pipeline_tag") == "automatic-speech-recognition" for m in models
        )
        top = client.get(
            url, params=[("sort", "downloads"), ("direction", "-1"), ("limit", "5")]
        ).json()
        assert [m["downloads"] for m in top] == sorted(
            (m["downloads"] for m in models), reverse=True
        )[:5]


def test_listing_refuses_what_the_hub_refuses(
    models: list[dict[str, Any]], client: httpx.Client
) -> None:
    with FakeHub(models[:10]) as hub:
        url = f"{hub.url}/api/models"
        both = client.get(url, params=[*_expand("downloads"), ("full", "true")])
        assert both.status_code == 400 and "expand" in both.json()["error"]
        unknown = client.get(url, params=_expand("downloads", "nonsense"))
        assert unknown.status_code == 400 and "nonsense" in unknown.json()["error"]
        assert client.get(url, params={"cursor": "%%%"}).status_code == 400
        assert client.get(f"{hub.url}/api/spaces").status_code == 404
    assert "downloadsAllTime" in EXPANDABLE and "baseModels" in EXPANDABLE


def test_model_details(models: list[dict[str, Any]], client: httpx.Client) -> None:
    derived = next(m for m in models if "baseModels" in m)
    with FakeHub(models) as hub:
        answer = client.get(
            f"{hub.url}/api/models/{derived['id']}", params=_expand("baseModels", "safetensors")
        )
        assert answer.status_code == 200
        assert answer.json() == project(derived, ["baseModels", "safetensors"])
        missing = client.get(f"{hub.url}/api/models/nobody/nothing")
        assert missing.status_code == 404
        assert missing.headers["x-error-code"] == "RepoNotFound"


def test_rate_limit_token_bucket_with_hub_headers(
    models: list[dict[str, Any]], client: httpx.Client
) -> None:
    clock = FakeClock()
    with FakeHub(models[:10], rate_limit=(3, 30.0), clock=clock.now) as hub:
        url = f"{hub.url}/api/models"
        answers = [client.get(url) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        info = parse_ratelimit_headers(answers[2].headers)
        assert info is not None and info.remaining == 0 and info.limit == 3
        assert info.window_seconds == 30
        assert answers[2].headers["ratelimit"] == '"api";r=0;t=30'
        assert answers[3].headers["retry-after"] == "10"  # one token per 10 s
        clock.sleep(10)
        assert client.get(url).status_code == 200
        assert client.get(url).status_code == 429
    assert [r.status for r in hub.requests] == [200, 200, 200, 429, 200, 429]


def test_faults_one_off_random_truncated_and_dropped(
    models: list[dict[str, Any]], client: httpx.Client
) -> None:
    faults = Faults(pages={2: Fault(status=503, times=2), 3: Fault(truncate=True)})
    with FakeHub(models, page_size=100, faults=faults) as hub:
        url = f"{hub.url}/api/models"
        first = client.get(url, params={"limit": "100"})
        second_url = first.links["next"]["url"]
        assert [client.get(second_url).status_code for _ in range(3)] == [503, 503, 200]
        third_url = client.get(second_url).links["next"]["url"]
        cut = client.get(third_url)
        assert cut.status_code == 200
        assert int(cut.headers["content-length"]) == len(cut.content)  # honest length…
        with pytest.raises(json.JSONDecodeError):
            json.loads(cut.content)  # …but the JSON is cut short
        assert client.get(third_url).json()[0]["id"] == models[200]["id"]  # healed

    def statuses(seed: int) -> list[int]:
        with FakeHub(models[:5], faults=Faults(seed=seed, error_rate=0.5)) as hub:
            return [client.get(f"{hub.url}/api/models").status_code for _ in range(30)]

    assert statuses(1) == statuses(1)  # seeded
    assert {500, 502, 503, 504} & set(statuses(1)) and 200 in statuses(1)

    with FakeHub(models[:5], faults=Faults(pages={1: Fault(drop=True)})) as hub:
        with pytest.raises(httpx.RemoteProtocolError):
            client.get(f"{hub.url}/api/models")
        assert client.get(f"{hub.url}/api/models").status_code == 200


def test_models_from_scraper_listing(trending_file: Path, tmp_path: Path) -> None:
    models = models_from_listing(trending_file)
    assert len(models) == 1000
    assert all("pipelineTag" not in m and "rank" not in m and "_id" in m for m in models)
    assert sum("pipeline_tag" in m for m in models) > 700
    raw = json.loads(trending_file.read_text())["models"]
    assert [m["id"] for m in models] == [r["id"] for r in raw]
    assert [m["downloads"] for m in models] == [r["downloads"] for r in raw]
    array = tmp_path / "array.json"
    array.write_text(json.dumps(models[:3]))
    assert models_from_listing(array) == models[:3]

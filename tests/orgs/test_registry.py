"""Tests for the organisation registry (weightwatch.orgs)."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from weightwatch.errors import ConfigError, InputError
from weightwatch.orgs import ORG_TYPES, OrgRecord, OrgRegistry, load_registry
from weightwatch.orgs.registry import country_codes

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
ACCOUNTS_CSV = REPO / "weightwatch" / "orgs" / "data" / "accounts.csv"
CURATED_CSV = REPO / "data" / "orgs" / "curated.csv"
BUILD_SCRIPT = REPO / "scripts" / "build_org_registry.py"

needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"shared data directory {SHARED} is not present"
)

# Countries consistent with ATOM's coarse "eu" bucket (Europe-facing).
_EUROPE_CODES = (
    "AD AL AT BA BE BG BY CH CY CZ DE DK EE ES FI FR GB GR HR HU IE IS IT LI LT LU LV MC "
    "MD ME MK MT NL NO PL PT RO RS SE SI SK SM UA VA"
)
EUROPE = set(_EUROPE_CODES.split())


@pytest.fixture(scope="module")
def reg() -> OrgRegistry:
    return load_registry()


# --------------------------------------------------------------------------- bundled data


def test_bundled_registry_size_and_uniqueness(reg: OrgRegistry) -> None:
    assert len(reg) >= 500
    keys = [r.account.lower() for r in reg.records()]
    assert len(keys) == len(set(keys))
    with ACCOUNTS_CSV.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    raw_keys = [row["account"].lower() for row in rows]
    assert len(raw_keys) == len(set(raw_keys)), "accounts.csv has case-insensitive duplicates"
    assert len(rows) == len(reg)


def test_bundled_columns_are_exact() -> None:
    with ACCOUNTS_CSV.open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    assert header == ["account", "organisation", "country", "org_type", "aliases", "source"]


def test_bundled_rows_are_valid(reg: OrgRegistry) -> None:
    codes = country_codes()
    assert len(codes) == 249
    for rec in reg.records():
        assert rec.country is None or rec.country in codes, rec
        assert rec.country is None or rec.country.isupper()
        assert rec.org_type in ORG_TYPES, rec
        assert rec.source.strip(), rec
        assert rec.organisation.strip(), rec
        assert rec.origin == "bundled"
        assert all(a.strip() for a in rec.aliases)


def test_bundled_file_is_sorted_case_insensitively() -> None:
    with ACCOUNTS_CSV.open(encoding="utf-8", newline="") as fh:
        accounts = [row["account"] for row in csv.DictReader(fh)]
    assert accounts == sorted(accounts, key=lambda a: (a.lower(), a))


def test_every_org_type_is_used(reg: OrgRegistry) -> None:
    assert {r.org_type for r in reg.records()} == set(ORG_TYPES)


@pytest.mark.parametrize(
    ("account", "country"),
    [
        ("Qwen", "CN"),
        ("qwen", "CN"),
        ("meta-llama", "US"),
        ("mistralai", "FR"),
        ("LGAI-EXAONE", "KR"),
        ("naver-hyperclovax", "KR"),
        ("deepseek-ai", "CN"),
        ("CohereLabs", "CA"),
        ("tiiuae", "AE"),
        ("sarvamai", "IN"),
        ("black-forest-labs", "DE"),
        ("stabilityai", "GB"),
        ("SakanaAI", "JP"),
        ("Lightricks", "IL"),
    ],
)
def test_known_countries(reg: OrgRegistry, account: str, country: str) -> None:
    rec = reg.get(account)
    assert rec is not None, account
    assert rec.country == country


def test_known_organisations(reg: OrgRegistry) -> None:
    thudm, zai = reg.get("THUDM"), reg.get("zai-org")
    assert thudm is not None and zai is not None
    assert thudm.organisation == zai.organisation == "Zhipu AI (Z.ai)"
    google, bert = reg.get("google"), reg.get("google-bert")
    assert google is not None and bert is not None
    assert google.organisation == bert.organisation
    meta, fb = reg.get("meta-llama"), reg.get("facebook")
    assert meta is not None and fb is not None
    assert meta.organisation == fb.organisation == "Meta"


def test_types_of_well_known_accounts(reg: OrgRegistry) -> None:
    expected = {
        "TheBloke": "individual",
        "bartowski": "individual",
        "mlx-community": "community",
        "lmstudio-community": "community",
        "allenai": "non-profit",
        "tiiuae": "government",
        "princeton-nlp": "academic",
        "nvidia": "company",
    }
    for account, org_type in expected.items():
        rec = reg.get(account)
        assert rec is not None, account
        assert rec.org_type == org_type, account
    individual = reg.get("TheBloke")
    assert individual is not None and individual.country is None


def test_accounts_of_one_organisation_agree(reg: OrgRegistry) -> None:
    seen: dict[str, set[tuple[str | None, str]]] = defaultdict(set)
    for rec in reg.records():
        seen[rec.organisation].add((rec.country, rec.org_type))
    bad = {org: vals for org, vals in seen.items() if len(vals) > 1}
    assert not bad


def test_every_curated_row_is_in_the_registry(reg: OrgRegistry) -> None:
    with CURATED_CSV.open(encoding="utf-8", newline="") as fh:
        curated = list(csv.DictReader(fh))
    assert curated
    for row in curated:
        rec = reg.get(row["account"])
        assert rec is not None, row["account"]
        assert rec.organisation == row["organisation"]
        assert rec.org_type == row["org_type"]


@needs_shared
def test_every_atom_org_is_present_with_a_consistent_country(reg: OrgRegistry) -> None:
    path = SHARED / "tracked-models" / "metadata" / "organization_regions.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with (REPO / "data" / "orgs" / "headquarters.csv").open(encoding="utf-8") as fh:
        headquarters = {r["account"].lower(): r["country"] for r in csv.DictReader(fh)}
    assert len(rows) >= 100
    for row in rows:
        account, region = row["hf_org"], row["region"]
        rec = reg.get(account)
        assert rec is not None, f"ATOM org {account} missing"
        assert rec.account == account, "casing should follow the Hub namespace"
        assert "ATOM" in rec.source
        if account.lower() in headquarters:  # a seat outside ATOM's market bucket
            assert rec.country == headquarters[account.lower()], account
        elif region == "us":
            assert rec.country == "US", account
        elif region == "china":
            assert rec.country == "CN", account
        elif region == "eu":
            assert rec.country is None or rec.country in EUROPE, account
        elif region == "other":
            assert rec.country not in ("US", "CN"), account
    resolved = [r for r in rows if r["region"] in ("eu", "other")]
    with_country = [r for r in resolved if (rec := reg.get(r["hf_org"])) and rec.country]
    assert len(with_country) >= len(resolved) - 2


@needs_shared
def test_trending_downloads_are_mostly_attributed(reg: OrgRegistry) -> None:
    import json

    data = json.loads((SHARED / "starscreener" / "huggingface-trending.json").read_text("utf-8"))
    total = sum(m["downloads"] or 0 for m in data["models"])
    known = sum(m["downloads"] or 0 for m in data["models"] if m["author"] in reg)
    assert known / total > 0.9


# --------------------------------------------------------------------------- lookup


def test_get_is_case_insensitive_and_exact(reg: OrgRegistry) -> None:
    assert reg.get("META-LLAMA") == reg.get("meta-llama")
    assert reg.get("meta") is None
    assert reg.get("no-such-account-xyz") is None
    assert "Qwen" in reg and "QWEN" in reg and "nope-nope" not in reg


def test_search_by_alias_and_organisation(reg: OrgRegistry) -> None:
    by_alias = [r.account for r in reg.search("tongyi")]
    assert "Qwen" in by_alias and "Wan-AI" in by_alias
    by_org = [r.account for r in reg.search("Zhipu AI (Z.ai)")]
    assert set(by_org) >= {"THUDM", "zai-org"}
    by_substring = [r.account for r in reg.search("exaone")]
    assert by_substring[0] == "LGAI-EXAONE"
    assert reg.search("   ") == []
    assert reg.search("definitely-not-an-org-name") == []


def test_search_puts_exact_account_first_and_is_deterministic(reg: OrgRegistry) -> None:
    hits = reg.search("google")
    assert hits[0].account == "google"
    assert [r.account for r in hits] == [r.account for r in reg.search("GOOGLE")]
    for rec in reg.records():
        assert reg.search(rec.account)[0] is rec


def test_records_sorted(reg: OrgRegistry) -> None:
    keys = [r.account.lower() for r in reg.records()]
    assert keys == sorted(keys)


def test_to_arrow(reg: OrgRegistry) -> None:
    table = reg.to_arrow()
    assert table.column_names == [
        "account_key",
        "account",
        "organisation",
        "country",
        "org_type",
        "source",
    ]
    assert table.num_rows == len(reg)
    keys = table.column("account_key").to_pylist()
    assert keys == [a.lower() for a in table.column("account").to_pylist()]
    row = keys.index("qwen")
    assert table.column("country")[row].as_py() == "CN"
    assert table.column("country").null_count == sum(1 for r in reg.records() if not r.country)


def test_provenance_and_version(reg: OrgRegistry) -> None:
    prov = reg.provenance()
    assert prov["version"] == reg.version
    assert prov["accounts"] == len(reg)
    assert prov["overlay"] is None and prov["overlay_sha256"] is None
    assert prov["overlay_rows"] == 0
    assert len(str(prov["bundled_sha256"])) == 64
    data_version = (ACCOUNTS_CSV.parent / "VERSION").read_text("utf-8").strip()
    base, _, digest = reg.version.partition("+")
    assert base == data_version
    assert len(digest) == 8 and int(digest, 16) >= 0
    assert load_registry().version == reg.version


# --------------------------------------------------------------------------- overlays


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_overlay_wins_and_changes_version(tmp_path: Path, reg: OrgRegistry) -> None:
    path = _write(
        tmp_path,
        "orgs.csv",
        "account,organisation,country,org_type,aliases,source\n"
        "QWEN,Qwen Team Test,sg,company,Q1;Q2,https://example.org/qwen\n"
        "my-new-lab,My New Lab,,academic,,https://example.org/lab\n",
    )
    merged = load_registry(path)
    qwen = merged.get("qwen")
    assert qwen is not None
    assert qwen.organisation == "Qwen Team Test"
    assert qwen.country == "SG"
    assert qwen.aliases == ("Q1", "Q2")
    assert qwen.origin == str(path)
    new = merged.get("MY-NEW-LAB")
    assert new is not None and new.country is None and new.org_type == "academic"
    assert len(merged) == len(reg) + 1
    assert merged.version != reg.version
    assert merged.version.split("+")[0] == reg.version.split("+")[0]
    prov = merged.provenance()
    assert prov["overlay"] == str(path)
    assert prov["overlay_rows"] == 2
    assert len(str(prov["overlay_sha256"])) == 64
    # the bundled registry is not mutated by an overlay
    assert load_registry().get("Qwen") == reg.get("Qwen")


def test_csv_overlay_without_optional_columns(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "min.csv",
        "account,organisation,org_type,source\nmistralai,Mistral Test,company,https://x.test\n",
    )
    rec = load_registry(path).get("mistralai")
    assert rec is not None
    assert rec.organisation == "Mistral Test" and rec.country is None and rec.aliases == ()


def test_yaml_overlay_list_form(tmp_path: Path, reg: OrgRegistry) -> None:
    path = _write(
        tmp_path,
        "orgs.yaml",
        "- account: meta-llama\n"
        "  organisation: Meta Test\n"
        "  country: no\n"
        "  org_type: company\n"
        "  aliases: [Llama, Meta AI]\n"
        "  source: https://example.org/meta\n"
        "- account: someone\n"
        "  organisation: Someone\n"
        "  country: null\n"
        "  org_type: individual\n"
        "  source: https://huggingface.co/someone\n",
    )
    merged = load_registry(path)
    meta = merged.get("META-LLAMA")
    assert meta is not None
    assert meta.organisation == "Meta Test"
    assert meta.country == "NO"  # YAML's "no" is Norway here, not False
    assert meta.aliases == ("Llama", "Meta AI")
    someone = merged.get("someone")
    assert someone is not None and someone.country is None and someone.aliases == ()
    assert merged.version != reg.version


def test_yaml_overlay_accounts_key(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "orgs.yml",
        "accounts:\n"
        "  - account: brand-new\n"
        "    organisation: Brand New\n"
        "    country: kr\n"
        "    org_type: company\n"
        "    aliases: BN; Brand\n"
        "    source: https://example.org\n",
    )
    rec = load_registry(path).get("brand-new")
    assert rec is not None
    assert rec.country == "KR" and rec.aliases == ("BN", "Brand")


def test_overlay_that_matches_bundled_keeps_version(tmp_path: Path, reg: OrgRegistry) -> None:
    rec = reg.get("allenai")
    assert rec is not None
    path = tmp_path / "same.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["account", "organisation", "country", "org_type", "aliases", "source"])
        writer.writerow(
            [
                rec.account,
                rec.organisation,
                rec.country,
                rec.org_type,
                ";".join(rec.aliases),
                rec.source,
            ]
        )
    assert load_registry(path).version == reg.version


HEADER = "account,organisation,country,org_type,aliases,source\n"
GOOD = "good-lab,Good Lab,US,company,,https://example.org\n"


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "country.csv",
            HEADER + GOOD + GOOD.replace("good-lab", "x2") + "bad-lab,Bad,USA,company,,https://x\n",
            ["country.csv line 4", "field country", "'USA'", "ISO 3166-1 alpha-2", "US, CN, KR"],
        ),
        (
            "type.csv",
            HEADER + "bad-lab,Bad,US,lab,,https://x\n",
            ["type.csv line 2", "field org_type", "'lab'", "company", "individual"],
        ),
        (
            "source.csv",
            HEADER + GOOD + "bad-lab,Bad,US,company,,  \n",
            ["source.csv line 3", "field source", "blank"],
        ),
        (
            "account.csv",
            HEADER + "org/model,Bad,US,company,,https://x\n",
            ["account.csv line 2", "field account", "org/model"],
        ),
        (
            "organisation.csv",
            HEADER + "bad-lab,,US,company,,https://x\n",
            ["organisation.csv line 2", "field organisation", "blank"],
        ),
        (
            "dupe.csv",
            HEADER + GOOD + GOOD.replace("good-lab", "GOOD-LAB"),
            ["dupe.csv line 3", "field account", "'GOOD-LAB'", "duplicate", "line 2"],
        ),
        (
            "column.csv",
            "account,organisation,country,org_type,source,website\n",
            ["column.csv line 1", "field website", "unknown column"],
        ),
        (
            "missing.csv",
            "account,organisation,country,source\nx,X,US,https://x\n",
            ["missing.csv line 1", "field org_type", "missing"],
        ),
        (
            "fields.csv",
            HEADER + "bad-lab,Bad, Inc,US,company,,https://x\n",
            ["fields.csv line 2", "7 fields", "quote"],
        ),
        (
            "multiline.csv",
            HEADER
            + 'ok-lab,"Two\nLines",US,company,,https://x\nbad-lab,Bad,XX,company,,https://x\n',
            ["multiline.csv line 4", "field country", "'XX'"],
        ),
        (
            "country.yaml",
            "- account: a-lab\n  organisation: A\n  org_type: company\n  source: https://x\n"
            "- account: b-lab\n  organisation: B\n  country: USA\n  org_type: company\n"
            "  source: https://x\n",
            ["country.yaml item 1", "line 7", "field country", "'USA'", "ISO 3166-1"],
        ),
        (
            "missing.yaml",
            "accounts:\n  - account: a-lab\n    organisation: A\n    country: US\n"
            "    org_type: company\n",
            ["missing.yaml item 0", "line 2", "field source", "missing"],
        ),
        (
            "type.yml",
            "- account: a-lab\n  organisation: A\n  org_type: startup\n  source: https://x\n",
            ["type.yml item 0", "line 3", "field org_type", "'startup'", "community"],
        ),
        (
            "dupe.yaml",
            "- {account: a-lab, organisation: A, org_type: company, source: https://x}\n"
            "- {account: A-Lab, organisation: A, org_type: company, source: https://x}\n",
            ["dupe.yaml item 1", "line 2", "field account", "duplicate"],
        ),
        (
            "unknown.yaml",
            "- {account: a-lab, organisation: A, org_type: company, source: x, url: y}\n",
            ["unknown.yaml item 0", "field url", "unknown field"],
        ),
        (
            "broken.yaml",
            "- account: a-lab\n  organisation: [unclosed\n",
            ["broken.yaml", "line", "not valid YAML"],
        ),
        (
            "scalar.yaml",
            "just a string\n",
            ["scalar.yaml line 1", "expected a list"],
        ),
        ("empty.csv", "", ["empty.csv", "empty"]),
        ("empty.yaml", "   \n", ["empty.yaml", "empty"]),
        ("header-only.csv", HEADER, ["header-only.csv", "no data rows"]),
        ("orgs.json", '[{"account": "x"}]', ["orgs.json", "unknown overlay type", ".yaml"]),
    ],
)
def test_bad_overlays_raise_config_error(
    tmp_path: Path, name: str, text: str, expected: list[str]
) -> None:
    path = _write(tmp_path, name, text)
    with pytest.raises(ConfigError) as info:
        load_registry(path)
    message = str(info.value)
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"
    assert str(path) in message


def test_missing_overlay_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    with pytest.raises(ConfigError, match=r"nope\.csv: overlay file not found"):
        load_registry(path)


def test_config_error_is_an_input_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "x.csv", HEADER + "a,A,ZZ,company,,s\n")
    with pytest.raises(InputError):
        load_registry(path)


def test_org_record_is_frozen(reg: OrgRegistry) -> None:
    rec = reg.get("Qwen")
    assert isinstance(rec, OrgRecord)
    with pytest.raises(AttributeError):
        rec.country = "US"  # type: ignore[misc]


# --------------------------------------------------------------------------- build script


def _build(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the registry build script on the shared data with ``args``."""
    return subprocess.run(
        [sys.executable, str(BUILD_SCRIPT), "--shared", str(SHARED), *args],
        capture_output=True,
        text=True,
        check=False,
    )


@needs_shared
def test_build_script_is_deterministic_and_matches_committed(tmp_path: Path) -> None:
    outputs = []
    for run in ("a", "b"):
        out = tmp_path / run / "accounts.csv"
        version = tmp_path / run / "VERSION"
        proc = _build("--out", str(out), "--version-file", str(version), "--version", "2000.01.01")
        assert proc.returncode == 0, proc.stderr
        assert "by country:" in proc.stdout and "by source kind:" in proc.stdout
        assert version.read_text("utf-8").strip() == "2000.01.01"
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0] == ACCOUNTS_CSV.read_bytes(), (
        "accounts.csv is stale: run scripts/build_org_registry.py"
    )


@needs_shared
def test_build_script_rejects_inconsistent_curated_rows(tmp_path: Path) -> None:
    text = CURATED_CSV.read_text("utf-8").replace("\nQwen,Alibaba,CN,", "\nQwen,Alibaba,US,", 1)
    assert text != CURATED_CSV.read_text("utf-8")
    bad = _write(tmp_path, "curated.csv", text)
    proc = _build("--curated", str(bad), "--out", str(tmp_path / "accounts.csv"), "--quiet")
    assert proc.returncode == 1
    assert "Qwen" in proc.stderr and "contradicts ATOM region china" in proc.stderr
    assert not (tmp_path / "accounts.csv").exists()


def test_headquarters_override_atom_market_bucket(reg: OrgRegistry) -> None:
    ai21 = reg.get("ai21labs")
    assert ai21 is not None and ai21.country == "IL"  # ATOM buckets it "us"
    assert "region=us" in ai21.source and "Tel Aviv" in ai21.source


@needs_shared
@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("ai21labs,FR,somewhere", "curated country IL contradicts"),
        ("ai21labs,XX,somewhere", "country 'XX' is not ISO 3166-1 alpha-2"),
        ("ai21labs,IL,", "account and evidence are required"),
    ],
)
def test_build_script_checks_headquarters_rows(tmp_path: Path, row: str, message: str) -> None:
    bad = _write(tmp_path, "headquarters.csv", f"account,country,evidence\n{row}\n")
    proc = _build("--headquarters", str(bad), "--out", str(tmp_path / "accounts.csv"), "--quiet")
    assert proc.returncode == 1
    assert message in proc.stderr and "headquarters.csv" in proc.stderr
    assert not (tmp_path / "accounts.csv").exists()

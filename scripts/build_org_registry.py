#!/usr/bin/env python3
"""Regenerate the bundled organisation registry ``weightwatch/orgs/data/accounts.csv``.

Inputs (all local, no network):

* ``<shared>/tracked-models/metadata/organization_regions.csv`` -- ATOM project
  (Interconnects-AI/tracked-models, Apache-2.0): ``hf_org,region,notes`` with a coarse
  region bucket (us / china / eu / other / unknown).
* ``<shared>/epoch-ai/notable_ai_models.csv`` -- Epoch AI, "Data on AI Models"
  (CC-BY-4.0, epoch.ai/data/ai-models): organisation name -> country of organisation.
* ``data/orgs/curated.csv`` -- hand-curated rows (organisation name, org type, aliases and a
  public page for every account; the country for ATOM eu/other/unknown rows).
* ``data/orgs/headquarters.csv`` -- ``account,country,evidence``: organisations whose
  headquarters lie outside ATOM's market bucket (e.g. AI21 Labs, Tel Aviv, bucketed ``us``).

Precedence for the country and the ``source`` column of each account:

0. A ``headquarters.csv`` row -> its country, cited with its evidence (ATOM's bucket is a
   market region, not a seat; the curated row must agree or be blank, and the build logs
   every such override).
1. ATOM region ``us`` -> US, ``china`` -> CN (the curated row must agree, else the build fails).
   ATOM ``eu``/``other``/``unknown`` -> the curated country (blank when genuinely unknown),
   checked for consistency with the bucket, cited with the curated page and, when available,
   the Epoch AI record.
2. Epoch AI match (table ``EPOCH_ACCOUNTS`` below) -> Epoch's country of organisation.
3. Otherwise the curated row as written.

Organisation name, org type and aliases always come from the curated row when there is one.
The output is sorted by account (case-insensitive), one row per account, and byte-identical
for identical inputs. ``VERSION`` is rewritten only when the CSV content changes (or with
``--version``).

Usage::

    python scripts/build_org_registry.py [--shared DIR] [--out PATH] [--version-file PATH]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = REPO.parent / "shared" / "data"
DEFAULT_CURATED = REPO / "data" / "orgs" / "curated.csv"
DEFAULT_HEADQUARTERS = REPO / "data" / "orgs" / "headquarters.csv"
HEADQUARTERS_COLUMNS = ("account", "country", "evidence")
DEFAULT_OUT = REPO / "weightwatch" / "orgs" / "data" / "accounts.csv"
COUNTRIES_CSV = REPO / "weightwatch" / "orgs" / "data" / "countries.csv"

COLUMNS = ("account", "organisation", "country", "org_type", "aliases", "source")
ORG_TYPES = ("company", "academic", "non-profit", "government", "individual", "community")

ATOM_FILE = Path("tracked-models") / "metadata" / "organization_regions.csv"
EPOCH_FILE = Path("epoch-ai") / "notable_ai_models.csv"
ATOM_LABEL = "ATOM tracked-models organization_regions.csv"
EPOCH_LABEL = "Epoch AI notable_ai_models.csv"

# Countries counted as consistent with ATOM's "eu" bucket ("Europe-facing", not EU membership).
_EUROPE_CODES = (
    "AD AL AT BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GI GR HR HU IE IS IT LI LT LU LV MC "
    "MD ME MK MT NL NO PL PT RO RS SE SI SK SM UA VA XK"
)
EUROPE = frozenset(_EUROPE_CODES.split())

# Epoch AI "Country (of organization)" spellings that differ from the ISO names.
EPOCH_COUNTRY_CODES: dict[str, str | None] = {
    "United States of America": "US",
    "United Kingdom of Great Britain and Northern Ireland": "GB",
    "Korea (Republic of)": "KR",
    "Russia": "RU",
    "Taiwan": "TW",
    "Hong Kong": "HK",
    "Iran (Islamic Republic of)": "IR",
    "Czechia": "CZ",
    "Multinational": None,
}

EPOCH_ORG_TYPES = {
    "Industry": "company",
    "Academia": "academic",
    "Government": "government",
    "Research collective": "non-profit",
}

# Epoch AI organisation name -> Hub accounts operated by that organisation.
EPOCH_ACCOUNTS: dict[str, tuple[str, ...]] = {
    "01.AI": ("01-ai", "Yi"),
    "AI21 Labs": ("ai21labs",),
    "Alibaba": (
        "Qwen",
        "Alibaba-NLP",
        "Wan-AI",
        "Tongyi-MAI",
        "AIDC-AI",
        "ATH-MaaS",
        "FunAudioLLM",
        "alibaba-pai",
    ),
    "Allen Institute for AI": ("allenai",),
    "Amazon": ("amazon", "autogluon", "aws-prototyping"),
    "Ant Group": ("inclusionAI",),
    "Anthropic": ("Anthropic",),
    "Apple": ("apple",),
    "Baidu": ("baidu", "PaddlePaddle"),
    "Bayerische Staatsbibliothek Muenchen": ("dbmdz",),
    "Beijing Academy of Artificial Intelligence / BAAI": ("BAAI", "OmniGen2"),
    "BigScience": ("bigscience",),
    "ByteDance": ("ByteDance", "ByteDance-Seed", "bytedance-research"),
    "Cerebras Systems": ("cerebras",),
    "Chai discovery": ("chaidiscovery",),
    "Charles University": ("ufal",),
    "China Telecom": ("Tele-AI",),
    "Chinese Academy of Sciences": ("ICTNLP",),
    "Cohere": ("Cohere",),
    "Cohere for AI": ("CohereForAI", "CohereLabs"),
    "Columbia University": ("Columbia-NLP",),
    "Databricks": ("databricks", "mosaicml"),
    "DeepSeek": ("deepseek-ai",),
    "EleutherAI": ("EleutherAI",),
    "EvolutionaryScale": ("EvolutionaryScale",),
    "Facebook": ("facebook", "FacebookAI"),
    "Fudan University": ("OpenMOSS-Team", "fnlp"),
    "Google": ("google", "google-bert", "google-t5"),
    "Grammarly": ("grammarly",),
    "Harbin Institute of Technology": ("HIT-SCIR",),
    "Hong Kong University of Science and Technology (HKUST)": ("HKUSTAudio", "hkust-nlp"),
    "Huawei Noah's Ark Lab": ("huawei-noah",),
    "Hugging Face": (
        "huggingface",
        "HuggingFaceTB",
        "HuggingFaceFW",
        "HuggingFaceM4",
        "HuggingFaceH4",
        "distilbert",
        "distil-whisper",
        "parler-tts",
        "timm",
        "open-r1",
        "llava-hf",
    ),
    "IBM": ("ibm-granite", "ibm-research", "ibm"),
    "INRIA": ("almanach",),
    "Inception G42": ("inceptionai",),
    "Inspur": ("IEITYuan",),
    "InstaDeep": ("InstaDeepAI",),
    "Intel Labs": ("Intel",),
    "JD.com": ("jdopensource",),
    "Johns Hopkins University": ("jhu-clsp",),
    "Korea Advanced Institute of Science and Technology (KAIST)": ("kaist-ai",),
    "Kunlun Inc.": ("Skywork",),
    "LG AI Research": ("LGAI-EXAONE",),
    "Ludwig Maximilian University of Munich": ("CompVis",),
    "Massachusetts Institute of Technology (MIT)": ("mit-han-lab",),
    "McGill University": ("McGill-NLP",),
    "Meituan Inc": ("meituan-longcat",),
    "Meta AI": ("meta-llama", "codellama"),
    "Microsoft": ("microsoft",),
    "MiniMax": ("MiniMaxAI",),
    "Mistral AI": ("mistralai", "mistral-community"),
    "Mohamed bin Zayed University of Artificial Intelligence (MBZUAI)": ("MBZUAI", "LLM360"),
    "Moonshot": ("moonshotai",),
    "NAVER": ("naver-hyperclovax", "naver-clova-ix"),
    "NVIDIA": ("nvidia",),
    "Netflix": ("netflix",),
    "OpenAI": ("openai", "openai-community"),
    "Peking University": ("PKU-Alignment",),
    "Perplexity": ("perplexity-ai",),
    "Prime Intellect": ("PrimeIntellect",),
    "Princeton University": ("princeton-nlp",),
    "Rednote": ("rednote-hilab", "FireRedTeam"),
    "Reka AI": ("RekaAI",),
    "Runway": ("runwayml",),
    "Salesforce": ("Salesforce",),
    "Sapienza Università di Roma": ("sapienzanlp",),
    "Saudi Data and Artificial Intelligence Authority": ("ALLaM-AI",),
    "SenseTime": ("sensenova",),
    "Shanghai AI Lab": ("internlm", "OpenGVLab", "opendatalab", "opencompass", "openmmlab"),
    "Stability AI": ("stabilityai",),
    "Stanford University": ("stanfordnlp", "stanford-crfm", "tatsu-lab"),
    "Suno": ("suno",),
    "Technology Innovation Institute": ("tiiuae",),
    "Tencent": ("tencent", "TencentARC", "Tencent-Hunyuan", "AngelSlim"),
    "Tohoku University": ("tohoku-nlp", "cl-tohoku"),
    "Tsinghua University": ("thunlp", "PRIME-RL"),
    "University of California (UC) Berkeley": ("berkeley-nest", "openlm-research"),
    "University of California Los Angeles (UCLA)": ("UCLA-AGI",),
    "University of Cambridge": ("cambridgeltl",),
    "University of Edinburgh": ("EdinburghNLP",),
    "University of Illinois Urbana-Champaign (UIUC)": ("ise-uiuc",),
    "University of Oslo": ("norallm",),
    "University of Turku": ("TurkuNLP",),
    "University of Waterloo": ("castorini", "TIGER-Lab"),
    "Writer": ("Writer",),
    "Zhejiang University (ZJU)": ("zjunlp",),
    "Zhipu AI": ("THUDM", "zai-org"),
    "deepset": ("deepset",),
    "rinna": ("rinna",),
    "xAI": ("xai-org",),
}


class BuildError(Exception):
    """The inputs are inconsistent; the message says which row and why."""


@dataclass
class EpochOrg:
    name: str
    countries: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class EpochMatch:
    name: str
    country_name: str
    country: str | None
    org_type: str | None


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def load_countries(path: Path = COUNTRIES_CSV) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return {row["code"]: row["name"] for row in csv.DictReader(fh)}


def epoch_country_code(name: str, countries: dict[str, str]) -> str | None:
    if name in EPOCH_COUNTRY_CODES:
        return EPOCH_COUNTRY_CODES[name]
    by_name = {v.lower(): k for k, v in countries.items()}
    code = by_name.get(name.lower())
    if code is None:
        raise BuildError(f"Epoch country {name!r} has no ISO code; add it to EPOCH_COUNTRY_CODES")
    return code


def read_epoch(path: Path) -> dict[str, EpochOrg]:
    """Organisation -> countries / categories, from rows where the pairing is unambiguous."""
    orgs: dict[str, EpochOrg] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            names = _split(row.get("Organization") or "")
            countries = _split(row.get("Country (of organization)") or "")
            cats = _split(row.get("Organization categorization") or "")
            for name in names:
                orgs.setdefault(name, EpochOrg(name))
            if len(names) == len(countries):
                for name, country in zip(names, countries, strict=True):
                    orgs[name].countries[country] += 1
            elif len(names) == 1:
                for country in countries:
                    orgs[names[0]].countries[country] += 1
            if len(names) == len(cats):
                for name, cat in zip(names, cats, strict=True):
                    orgs[name].categories[cat] += 1
            elif len(names) == 1:
                for cat in cats:
                    orgs[names[0]].categories[cat] += 1
    return orgs


def epoch_matches(path: Path, countries: dict[str, str]) -> dict[str, EpochMatch]:
    """Hub account (lowercased) -> the Epoch record it is matched to."""
    orgs = read_epoch(path)
    out: dict[str, EpochMatch] = {}
    for name, accounts in EPOCH_ACCOUNTS.items():
        org = orgs.get(name)
        if org is None:
            raise BuildError(f"EPOCH_ACCOUNTS names {name!r}, which is not in {path}")
        if len(org.countries) != 1:
            raise BuildError(
                f"Epoch organisation {name!r} has countries {sorted(org.countries)}; "
                "only organisations with a single country can be mapped"
            )
        (country_name,) = org.countries
        cat = org.categories.most_common(1)[0][0] if org.categories else None
        match = EpochMatch(
            name=name,
            country_name=country_name,
            country=epoch_country_code(country_name, countries),
            org_type=EPOCH_ORG_TYPES.get(cat) if cat else None,
        )
        for account in accounts:
            key = account.lower()
            if key in out:
                raise BuildError(f"account {account!r} is mapped to two Epoch organisations")
            out[key] = match
    return out


def read_atom(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            {k: (v or "").strip() for k, v in row.items()}
            for row in csv.DictReader(fh)
            if (row.get("hf_org") or "").strip()
        ]


def read_curated(path: Path, countries: dict[str, str]) -> dict[str, dict[str, str]]:
    rows: dict[str, dict[str, str]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise BuildError(f"{path}: header must be {','.join(COLUMNS)}")
        for row in reader:
            line = reader.line_num
            rec = {k: (row.get(k) or "").strip() for k in COLUMNS}
            rec["country"] = rec["country"].upper()
            where = f"{path} line {line}"
            for col in ("account", "organisation", "org_type", "source"):
                if not rec[col]:
                    raise BuildError(f"{where}: {col} is blank")
            if rec["org_type"] not in ORG_TYPES:
                raise BuildError(f"{where}: org_type {rec['org_type']!r} not in {ORG_TYPES}")
            if rec["country"] and rec["country"] not in countries:
                raise BuildError(f"{where}: country {rec['country']!r} is not ISO 3166-1 alpha-2")
            key = rec["account"].lower()
            if key in rows:
                raise BuildError(f"{where}: duplicate account {rec['account']!r}")
            rows[key] = rec
    return rows


def read_headquarters(path: Path, countries: dict[str, str]) -> dict[str, dict[str, str]]:
    """``headquarters.csv``: lower-cased account -> its row (country checked, evidence
    required); an absent file is an empty table."""
    rows: dict[str, dict[str, str]] = {}
    if not path.is_file():
        return rows
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) != HEADQUARTERS_COLUMNS:
            raise BuildError(f"{path}: header must be {','.join(HEADQUARTERS_COLUMNS)}")
        for row in reader:
            where = f"{path} line {reader.line_num}"
            rec = {k: (row.get(k) or "").strip() for k in HEADQUARTERS_COLUMNS}
            rec["country"] = rec["country"].upper()
            if not rec["account"] or not rec["evidence"]:
                raise BuildError(f"{where}: account and evidence are required")
            if rec["country"] not in countries:
                raise BuildError(f"{where}: country {rec['country']!r} is not ISO 3166-1 alpha-2")
            if rec["account"].lower() in rows:
                raise BuildError(f"{where}: duplicate account {rec['account']!r}")
            rows[rec["account"].lower()] = rec
    return rows


def _evidence(match: EpochMatch) -> str:
    return f"{EPOCH_LABEL} (Organization={match.name}; Country={match.country_name})"


def build_rows(
    shared: Path,
    curated_path: Path,
    log: list[str],
    headquarters_path: Path = DEFAULT_HEADQUARTERS,
) -> tuple[list[dict[str, str]], Counter[str]]:
    countries = load_countries()
    curated = read_curated(curated_path, countries)
    headquarters = read_headquarters(headquarters_path, countries)
    epoch = epoch_matches(shared / EPOCH_FILE, countries)
    atom = read_atom(shared / ATOM_FILE)
    kinds: Counter[str] = Counter()
    out: dict[str, dict[str, str]] = {}

    for arow in atom:
        account, region = arow["hf_org"], arow["region"].lower()
        key = account.lower()
        cur = curated.get(key)
        if cur is None:
            raise BuildError(f"ATOM org {account!r} has no row in {curated_path}")
        match = epoch.get(key)
        rec = dict(cur, account=account)
        label = f"{ATOM_LABEL} (region={region})"
        hq = headquarters.get(key)
        if hq is not None:
            if cur["country"] not in ("", hq["country"]):
                raise BuildError(
                    f"{account}: curated country {cur['country']} contradicts "
                    f"{headquarters_path} ({hq['country']})"
                )
            rec["country"] = hq["country"]
            rec["source"] = f"{label}; country: {hq['evidence']}; organisation: {cur['source']}"
            log.append(f"headquarters: {account} ATOM region={region} -> {hq['country']}")
        elif region in ("us", "china"):
            want = "US" if region == "us" else "CN"
            if cur["country"] and cur["country"] != want:
                raise BuildError(
                    f"{account}: curated country {cur['country']} contradicts ATOM region {region}"
                )
            rec["country"] = want
            rec["source"] = f"{label}; organisation: {cur['source']}"
        else:
            country = cur["country"]
            if region == "eu" and country and country not in EUROPE:
                raise BuildError(f"{account}: {country} is not European but ATOM region is eu")
            if region == "other" and country in ("US", "CN"):
                raise BuildError(f"{account}: {country} contradicts ATOM region other")
            if match and country and match.country and match.country != country:
                raise BuildError(
                    f"{account}: curated {country} disagrees with Epoch {match.country_name}"
                )
            what = "country" if country else "country not resolved"
            rec["source"] = f"{label}; {what}: {cur['source']}"
            if match and country == match.country:
                rec["source"] += f"; {_evidence(match)}"
        if match and match.country and match.country != rec["country"]:
            log.append(
                f"conflict: {account} ATOM region={region} -> {rec['country']}, "
                f"Epoch {match.name!r} -> {match.country} "
                f"(kept {'headquarters' if hq else 'ATOM'})"
            )
        out[key] = rec
        kinds["atom"] += 1

    for key, match in epoch.items():
        if key in out:
            continue
        cur = curated.get(key)
        if cur is None:
            account = next(a for a in EPOCH_ACCOUNTS[match.name] if a.lower() == key)
            rec = {
                "account": account,
                "organisation": match.name,
                "country": match.country or "",
                "org_type": match.org_type or "company",
                "aliases": "",
                "source": _evidence(match),
            }
            log.append(f"note: {account} built from Epoch alone (no curated row)")
        else:
            if cur["country"] and match.country and cur["country"] != match.country:
                raise BuildError(
                    f"{cur['account']}: curated {cur['country']} disagrees with "
                    f"Epoch {match.name!r} ({match.country_name})"
                )
            rec = dict(cur, country=match.country or cur["country"])
            rec["source"] = f"{_evidence(match)}; organisation: {cur['source']}"
        out[key] = rec
        kinds["epoch"] += 1

    for key, cur in curated.items():
        if key in out:
            continue
        out[key] = dict(cur)
        hub = cur["source"].startswith("https://huggingface.co/")
        kinds["hub-page" if hub else "curated-url"] += 1

    rows = sorted(out.values(), key=lambda r: (r["account"].lower(), r["account"]))
    check_consistency(rows)
    return rows, kinds


def check_consistency(rows: list[dict[str, str]]) -> None:
    """Accounts sharing an organisation string must agree on country and org type."""
    seen: dict[str, tuple[str, str, str]] = {}
    for row in rows:
        prev = seen.get(row["organisation"])
        mine = (row["country"], row["org_type"], row["account"])
        if prev and prev[:2] != mine[:2]:
            raise BuildError(
                f"organisation {row['organisation']!r}: {prev[2]} has {prev[:2]} but "
                f"{row['account']} has {mine[:2]}"
            )
        seen.setdefault(row["organisation"], mine)


def render(rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row[c] for c in COLUMNS])
    return buf.getvalue()


def summary(rows: list[dict[str, str]], kinds: Counter[str], log: list[str]) -> str:
    by_country = Counter(r["country"] or "(blank)" for r in rows)
    by_type = Counter(r["org_type"] for r in rows)
    lines = [f"accounts: {len(rows)}", "by country:"]
    lines += [f"  {k:8} {v}" for k, v in sorted(by_country.items(), key=lambda kv: (-kv[1], kv[0]))]
    lines.append("by org_type:")
    lines += [f"  {k:11} {v}" for k, v in sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0]))]
    lines.append("by source kind:")
    lines += [f"  {k:11} {v}" for k, v in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))]
    lines += log
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="shared data dir")
    parser.add_argument("--curated", type=Path, default=DEFAULT_CURATED, help="curated CSV")
    parser.add_argument(
        "--headquarters", type=Path, default=DEFAULT_HEADQUARTERS, help="headquarters CSV"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="accounts.csv to write")
    parser.add_argument(
        "--version-file", type=Path, default=None, help="VERSION file (default: next to --out)"
    )
    parser.add_argument("--version", default=None, help="force this registry version")
    parser.add_argument("--quiet", action="store_true", help="do not print the summary")
    args = parser.parse_args(argv)

    log: list[str] = []
    try:
        rows, kinds = build_rows(args.shared, args.curated, log, args.headquarters)
    except (BuildError, OSError) as exc:
        print(f"build_org_registry: {exc}", file=sys.stderr)
        return 1
    text = render(rows)
    out: Path = args.out
    version_file: Path = args.version_file or out.parent / "VERSION"
    changed = not out.exists() or out.read_text(encoding="utf-8") != text
    out.parent.mkdir(parents=True, exist_ok=True)
    if changed:
        out.write_text(text, encoding="utf-8", newline="\n")
    if args.version or changed or not version_file.exists():
        version = args.version or dt.datetime.now(dt.UTC).strftime("%Y.%m.%d")
        version_file.write_text(version + "\n", encoding="utf-8")
    if not args.quiet:
        print(summary(rows, kinds, log))
        state = "written" if changed else "unchanged"
        print(f"{out}: {state}; version {version_file.read_text(encoding='utf-8').strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Model families: the curated map from a lineage's *root* model to its family.

The data file (``weightwatch/lineage/data/families.yaml``, versioned) lists, per family,
exact root ids, Hub accounts (optionally narrowed by a regex on the repo name) and a
name regex for roots under any account.  Matching order (first hit wins):

1. ``ids``: exact repo id, case-insensitive                      (``family_rule = "id"``)
2. ``accounts`` (+ ``account_names``), families in file order     (``"account"``)
3. ``names`` anywhere (a heuristic): the family whose pattern matches leftmost in the
   repo name, file order breaking ties at the same position   (``"name"``)
4. the organisation of the root's account in the org registry     (``"org"``)
5. nothing: no family (``family_rule`` null)

:meth:`FamilyRules.match` (one id, Python ``re``) is the definition, used by the CLI and the
tests.  Resolution at Hub scale (:mod:`weightwatch.lineage.resolve`) runs it only on the
roots that can match at all, picked set-based: listed ids by hash, listed accounts with
:meth:`FamilyRules.account_prefilter` and names with :meth:`FamilyRules.combined_names`
(both RE2, in Arrow), then :meth:`FamilyRules.name_groups` for the roots only the names
heuristic can claim.  The patterns are written in the common subset of both dialects, and
tests check the two paths agree on real data and on tricky ids.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from weightwatch.errors import ConfigError

RULE_ID = "id"
RULE_ACCOUNT = "account"
RULE_NAME = "name"
RULE_ORG = "org"
FAMILY_RULES: tuple[str, ...] = (RULE_ID, RULE_ACCOUNT, RULE_NAME, RULE_ORG)


@dataclass(frozen=True)
class Family:
    """One entry of the families file."""

    family: str
    ids: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    account_names: str | None = None
    names: str | None = None


def _split(model_id: str) -> tuple[str | None, str]:
    account, sep, name = model_id.partition("/")
    return (account.lower(), name) if sep else (None, model_id)


@dataclass(frozen=True)
class FamilyRules:
    """The parsed families file: ordered families plus its version and content hash."""

    families: tuple[Family, ...]
    data_version: str
    sha256: str

    @property
    def version(self) -> str:
        return f"{self.data_version}+{self.sha256[:8]}"

    def names(self) -> list[str]:
        return sorted({f.family for f in self.families})

    # -- one id at a time (CLI, tests) ---------------------------------------------------
    def match_id(self, root_id: str) -> str | None:
        """The family listing ``root_id`` among its ``ids`` (case-insensitive)."""
        return self._ids.get(root_id.lower())

    def match_account(self, account: str | None, name: str) -> str | None:
        """The first family (file order) claiming ``account`` with a matching name."""
        for fam, pattern in self._accounts.get((account or "").lower(), ()):
            if pattern is None or pattern.search(name):
                return fam
        return None

    @functools.cached_property
    def _ids(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for fam in self.families:
            for i in fam.ids:
                out.setdefault(i.lower(), fam.family)
        return out

    @functools.cached_property
    def _accounts(self) -> dict[str, list[tuple[str, re.Pattern[str] | None]]]:
        out: dict[str, list[tuple[str, re.Pattern[str] | None]]] = {}
        for fam in self.families:
            pattern = re.compile(fam.account_names, re.I) if fam.account_names else None
            for a in fam.accounts:
                out.setdefault(a.lower(), []).append((fam.family, pattern))
        return out

    def match(
        self, root_id: str, organisations: Mapping[str, str] | None = None
    ) -> tuple[str | None, str | None]:
        """``(family, rule)`` for ``root_id``; ``organisations`` maps a lowercased account
        to its organisation (the fallback)."""
        account, name = _split(root_id)
        by_id = self.match_id(root_id)
        if by_id is not None:
            return by_id, RULE_ID
        by_account = self.match_account(account, name) if account is not None else None
        if by_account is not None:
            return by_account, RULE_ACCOUNT
        by_name = self.match_name(name)
        if by_name is not None:
            return by_name, RULE_NAME
        if organisations and account is not None and account in organisations:
            return organisations[account], RULE_ORG
        return None, None

    # -- set-based (resolution) ----------------------------------------------------------
    def named(self) -> list[Family]:
        """The families with a ``names`` heuristic, in file order."""
        return list(self._named)

    @functools.cached_property
    def _named(self) -> tuple[Family, ...]:
        return tuple(f for f in self.families if f.names is not None)

    @functools.cached_property
    def _name_regex(self) -> re.Pattern[str] | None:
        return re.compile(self.combined_names(), re.I) if self._named else None

    def combined_names(self) -> str:
        """All ``names`` patterns as one alternation, one capturing group per family (their
        own groups made non-capturing): the leftmost match wins, file order breaks ties —
        the same in Python ``re`` and RE2 (DuckDB)."""
        return "|".join(f"({_non_capturing(f.names or '')})" for f in self._named)

    def account_prefilter(self, more: Iterable[str] = ()) -> str | None:
        """RE2: does a repo id start with one of the ``accounts`` (or ``more`` accounts,
        e.g. those of the org registry) and a slash (searched case-insensitively)?"""
        keys = {a.lower() for f in self.families for a in f.accounts} | {m.lower() for m in more}
        return _any_of(sorted(k for k in keys if k and "/" not in k), "/")

    def name_groups(self, names: Iterable[str]) -> list[int]:
        """For each name, 1 + the index in :meth:`named` of the family :meth:`match_name`
        returns, 0 for none (one bound regex for many names)."""
        regex = self._name_regex
        if regex is None:
            return [0 for _ in names]
        search = regex.search
        return [(hit.lastindex or 0) if (hit := search(name)) else 0 for name in names]

    def name_prefilter_sql(self, column: str) -> str:
        """SQL: does the lowercased repo-name ``column`` match any ``names`` pattern (RE2)?
        Rows that pass get their family from :meth:`match_name` (Python ``re``)."""
        if not self.named():
            return "false"
        pattern = self.combined_names().replace("'", "''")
        return f"regexp_matches({column}, '{pattern}', 'i')"

    def match_name(self, name: str) -> str | None:
        """The family whose ``names`` pattern matches leftmost in ``name`` (ties: file order)."""
        hit = self._name_regex.search(name) if self._name_regex is not None else None
        if hit is None or hit.lastindex is None:
            return None
        return self._named[hit.lastindex - 1].family


def _any_of(keys: list[str], tail: str) -> str | None:
    """An anchored RE2 alternation of literal ``keys`` followed by ``tail`` (None: no keys)."""
    if not keys:
        return None
    special = set("\\.^$|?*+()[]{}-/#&~ ")

    def literal(key: str) -> str:
        return "".join(f"\\{c}" if c in special else c for c in key)

    return "^(?:" + "|".join(literal(k) for k in keys) + ")" + tail


def _non_capturing(pattern: str) -> str:
    return re.sub(r"(?<!\\)\((?!\?)", "(?:", pattern)


def _strings(value: Any, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where}, field {key}: expected a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _regex(value: Any, where: str, key: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}, field {key}: expected a regular expression string")
    try:
        re.compile(value)
    except re.error as exc:
        raise ConfigError(f"{where}, field {key}: invalid regex {value!r} ({exc})") from None
    if "(?=" in value or "(?!" in value or "(?<" in value or "\\1" in value:
        raise ConfigError(f"{where}, field {key}: look-arounds and back-references are not RE2")
    if re.search(value, "") is not None or re.compile(_non_capturing(value)).groups:
        raise ConfigError(
            f"{where}, field {key}: {value!r} matches the empty string or names a group"
        )
    return value


def parse_families(text: str, label: str) -> FamilyRules:
    """Parse and validate a families file (YAML); ConfigError names the entry and field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{label}: not valid YAML ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("families"), list):
        raise ConfigError(f"{label}: expected a mapping with 'version' and a 'families' list")
    version = data.get("version")
    if not isinstance(version, str) or not version:
        raise ConfigError(f"{label}: 'version' must be a non-empty string")
    allowed = {"family", "ids", "accounts", "account_names", "names"}
    out: list[Family] = []
    for index, entry in enumerate(data["families"]):
        where = f"{label} family #{index}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected a mapping")
        unknown = sorted(set(entry) - allowed)
        if unknown:
            raise ConfigError(f"{where}, field {unknown[0]}: unknown (allowed: {sorted(allowed)})")
        name = entry.get("family")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{where}, field family: a non-empty name is required")
        fam = Family(
            family=name.strip(),
            ids=_strings(entry.get("ids"), where, "ids"),
            accounts=_strings(entry.get("accounts"), where, "accounts"),
            account_names=_regex(entry.get("account_names"), where, "account_names"),
            names=_regex(entry.get("names"), where, "names"),
        )
        if fam.account_names is not None and not fam.accounts:
            raise ConfigError(f"{where}, field account_names: needs 'accounts'")
        if not (fam.ids or fam.accounts or fam.names):
            raise ConfigError(f"{where}: give at least one of ids, accounts, names")
        out.append(fam)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return FamilyRules(families=tuple(out), data_version=version, sha256=digest)


@functools.lru_cache(maxsize=1)
def _bundled() -> FamilyRules:
    res = resources.files("weightwatch.lineage").joinpath("data").joinpath("families.yaml")
    return parse_families(res.read_text("utf-8"), "weightwatch/lineage/data/families.yaml")


def load_families(path: Path | None = None) -> FamilyRules:
    """The bundled families file, or ``path`` instead of it."""
    if path is None:
        return _bundled()
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read families file ({exc})") from None
    return parse_families(text, str(path))

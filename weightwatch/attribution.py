"""Attribution: which organisation, country and organisation type a model counts for.

Modes (a metric states the one it used in its params):

``uploader``
    The account that uploaded the repo (the ``author`` column), looked up in the org
    registry case-insensitively.  A Qwen fine-tune uploaded by a US individual counts for
    that individual.
``developer``
    The organisation of the model's *primary root* (the base model at the end of its
    lineage, :mod:`weightwatch.lineage`): the account of that root looked up in the registry.
    A Qwen fine-tune uploaded by a US individual counts for Alibaba (CN) — the EOI study's
    "derived" attribution.  A root model counts for its own uploader.  Models whose lineage
    is unresolved (only unparseable base models declared) are ``unattributed``.
``family``
    Like ``developer`` (country and org type are the root developer's), but the
    ``organisation`` column holds the root's *family* (Qwen, Llama…, from the curated
    families file; the root's organisation when no family rule matches).

``developer`` and ``family`` need the snapshot's lineage table (``lineage_tables`` in
:mod:`weightwatch.lineage`); :func:`attribute` takes it.

Labels for what the registry cannot say, kept as groups of their own and never dropped:
``unattributed`` (the account is not in the registry) and ``unknown`` (the account is in the
registry but that field is blank, e.g. an individual whose country is not public).
"""

from __future__ import annotations

import ibis

from weightwatch.errors import MetricError

ATTRIBUTIONS: tuple[str, ...] = ("uploader", "developer", "family")
LINEAGE_MODES: tuple[str, ...] = ("developer", "family")
GROUP_FIELDS: dict[str, str] = {"country": "country", "org": "organisation", "org_type": "org_type"}
UNATTRIBUTED = "unattributed"
UNKNOWN = "unknown"


def attribute_uploader(models: ibis.Table, registry: ibis.Table) -> ibis.Table:
    """``models`` plus ``organisation``, ``country``, ``org_type`` and ``attributed`` (bool),
    joined on the uploading account.  ``registry`` is ``OrgRegistry.to_arrow()`` as a table."""
    reg = registry.select("account_key", "organisation", "country", "org_type")
    joined = models.left_join(reg, models.author.lower() == reg.account_key)
    return joined.mutate(attributed=joined.account_key.notnull()).drop("account_key")


def group_label(table: ibis.Table, by: str) -> ibis.Value:
    """The group a row falls in for ``by`` (country | org | org_type), with the two labels
    for missing attribution."""
    value = table[GROUP_FIELDS[by]]
    return ibis.cases(
        (~table.attributed, ibis.literal(UNATTRIBUTED)),
        (value.isnull() | (value == ""), ibis.literal(UNKNOWN)),
        else_=value,
    )


def unattributed_accounts(models: ibis.Table, registry: ibis.Table, counter: str) -> ibis.Table:
    """Accounts absent from the registry, with their model count and downloads (``counter``
    column), most downloaded first: the registry's coverage gaps, worst first."""
    attributed = attribute_uploader(models, registry)
    missing = attributed.filter(~attributed.attributed)
    return (
        missing.group_by(account=missing.author.fill_null("(no author)"))
        .aggregate(models=missing.count(), downloads=missing[counter].fill_null(0).sum())
        .order_by([ibis.desc("downloads"), "account"])
    )


def family_label(lineage: ibis.Table, registry: ibis.Table) -> ibis.Table:
    """``lineage`` plus ``family_label``: the curated family (rules ``id``, ``account``,
    ``name``), else the organisation of the root's account in ``registry`` (so a user
    overlay counts), else null; null for unresolved nodes."""
    reg = registry.select(ww_fam_key="account_key", ww_fam_org="organisation")
    joined = lineage.left_join(reg, lineage.root_author.lower() == reg.ww_fam_key)
    label = ibis.cases(
        (joined.status == "unresolved", ibis.null("string")),
        (joined.family_rule.isin(["id", "account", "name"]), joined.family),
        else_=joined.ww_fam_org,
    )
    return joined.mutate(family_label=label).drop("ww_fam_key", "ww_fam_org")


def attribute(
    models: ibis.Table,
    registry: ibis.Table,
    mode: str = "uploader",
    lineage: ibis.Table | None = None,
) -> ibis.Table:
    """``models`` plus ``organisation``, ``country``, ``org_type`` and ``attributed`` under
    ``mode`` (see the module docstring).  ``uploader`` is :func:`attribute_uploader`;
    ``developer`` and ``family`` join ``lineage`` (the snapshot's lineage nodes table) on the
    lowercased model id and also add ``root_model`` and ``family``."""
    if mode == "uploader":
        return attribute_uploader(models, registry)
    if mode not in LINEAGE_MODES:
        raise MetricError(f"unknown attribution {mode!r}; choose one of: {', '.join(ATTRIBUTIONS)}")
    if lineage is None:
        raise MetricError(
            f"{mode} attribution needs the lineage table: pass "
            "lineage=lineage_tables(con, store, snapshot_date)[0] (weightwatch.lineage)"
        )
    lin = family_label(lineage, registry).select(
        ww_key="model_key",
        root_model="primary_root",
        ww_root_author="root_author",
        family="family_label",
    )
    joined = models.left_join(lin, models.model_id.lower() == lin.ww_key)
    reg = registry.select(
        ww_acct="account_key",
        ww_org="organisation",
        ww_country="country",
        ww_type="org_type",
    )
    full = joined.left_join(reg, joined.ww_root_author.lower() == reg.ww_acct)
    organisation = full.family if mode == "family" else full.ww_org
    attributed = full.family.notnull() if mode == "family" else full.ww_acct.notnull()
    return full.mutate(
        organisation=organisation,
        country=full.ww_country,
        org_type=full.ww_type,
        attributed=attributed,
    ).drop("ww_key", "ww_root_author", "ww_acct", "ww_org", "ww_country", "ww_type")

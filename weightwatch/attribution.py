"""Attribution: which organisation, country and organisation type a model counts for.

Modes (a metric states the one it used in its params):

``uploader``
    The account that uploaded the repo (the ``author`` column), looked up in the org
    registry case-insensitively.  A Qwen fine-tune uploaded by a US individual counts for
    that individual.  (The ``developer`` and ``family`` modes, which follow the lineage to
    the root model, come with the lineage stage.)

Labels for what the registry cannot say, kept as groups of their own and never dropped:
``unattributed`` (the account is not in the registry) and ``unknown`` (the account is in the
registry but that field is blank, e.g. an individual whose country is not public).
"""

from __future__ import annotations

import ibis

ATTRIBUTIONS: tuple[str, ...] = ("uploader",)
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

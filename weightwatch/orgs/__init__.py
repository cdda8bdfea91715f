"""Organisation registry: Hugging Face account -> organisation, country and org type."""

from weightwatch.orgs.registry import ORG_TYPES, OrgRecord, OrgRegistry, load_registry

__all__ = ["ORG_TYPES", "OrgRecord", "OrgRegistry", "load_registry"]

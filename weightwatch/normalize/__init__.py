"""Canonical schemas and the mapping of source records onto them."""

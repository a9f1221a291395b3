"""Dagster definitions by domain; `orchestration/definitions.py` merges them."""

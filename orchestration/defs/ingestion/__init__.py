"""Ingestion: landing files -> validated batch -> operational DB and panel snapshot."""

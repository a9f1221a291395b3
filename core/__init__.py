"""Shared foundation of Quantis: settings, operational database, object storage.

`core` imports nothing else of ours, so every other part may build on it.
"""

"""Serving: package the champion as a Bento and roll it out."""

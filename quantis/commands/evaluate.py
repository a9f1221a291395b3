"""`quantis evaluate`: compare the default model with the baselines on a panel (placeholder)."""

from __future__ import annotations

import typer


def evaluate() -> None:
    """Placeholder until the forecasting library lands."""
    raise typer.Exit(code=1)

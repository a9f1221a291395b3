"""Forecasting: a forecast for every series after a roll-out or nightly (batch_forecasts)."""

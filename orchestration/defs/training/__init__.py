"""Training: fit the global model and backtest it against the champion and baselines."""

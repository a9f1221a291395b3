"""Monitoring: live accuracy of the stored forecasts, drift, checks, and a retrain sensor."""

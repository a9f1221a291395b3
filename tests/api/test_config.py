from api.config import ApiOptions
from core.settings import get_settings


def test_api_options_come_from_the_shared_settings(monkeypatch):
    monkeypatch.setenv("QUANTIS_DAGSTER_URL", "http://dagster.internal:3000")
    monkeypatch.setenv("QUANTIS_API_RATE_LIMIT_PER_MINUTE", "120")
    monkeypatch.setenv("QUANTIS_API_RATE_LIMIT_BURST", "7")
    get_settings.cache_clear()
    options = ApiOptions.from_settings(get_settings())
    assert options.dagster_url == "http://dagster.internal:3000"
    assert (options.rate_limit_per_minute, options.rate_limit_burst) == (120.0, 7.0)

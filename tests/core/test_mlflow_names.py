"""One registered model per dataset; `default` keeps the installation's name (upgrade path)."""

from core.mlflow_names import registered_model_name


def test_default_keeps_the_setting_and_others_get_their_own():
    assert registered_model_name("quantis-forecaster", "default") == "quantis-forecaster"
    assert registered_model_name("quantis-forecaster", "monthly") == "quantis-forecaster-monthly"

"""Registry: register each trained model and promote it when it wins."""

import dagster as dg

from orchestration.defs.registry.assets import registered_model

defs = dg.Definitions(assets=[registered_model])

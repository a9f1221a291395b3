"""Where deploy/monitoring/ is, for the tests of this folder."""

from pathlib import Path

MONITORING = Path(__file__).resolve().parents[3] / "deploy" / "monitoring"

"""Dagster run tags Quantis writes and reads, in one place (api/, quantis/ and orchestration/
all read them; none may import the others)."""

__all__ = ["DATASET_TAG"]

# The dataset a pipeline run works on (its partition key, as a tag the UI can filter by).
DATASET_TAG = "quantis/dataset"

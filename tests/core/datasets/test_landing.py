"""A landing file's dataset is its first path segment; the landing root is `default`'s."""

from core.datasets.landing import landing_dataset, unknown_prefix_reason


def test_prefix_names_the_dataset_and_the_root_is_default():
    known = {"default", "monthly"}
    assert landing_dataset("panel.csv", known) == "default"  # the layout from before datasets
    assert landing_dataset("monthly/a.csv", known) == "monthly"
    assert landing_dataset("monthly/2024/a.csv", known) == "monthly"
    assert landing_dataset("default/a.csv", known) == "default"
    assert landing_dataset("weekly/a.csv", known) is None  # never guessed into one


def test_the_reason_names_the_prefix_and_the_known_datasets():
    reason = unknown_prefix_reason("weekly/a.csv", {"default", "monthly"})
    assert "'weekly' names no dataset" in reason and "default, monthly" in reason

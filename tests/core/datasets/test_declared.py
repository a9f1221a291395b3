"""Datasets declared in a YAML file: read, validated, every problem named."""

from __future__ import annotations

import pytest

from core.config_sources import config_dir
from core.datasets.declared import DatasetFileError, declared_datasets, default_datasets_file


def test_reads_the_declared_datasets(tmp_path):
    path = tmp_path / "datasets.yaml"
    path.write_text(
        "datasets:\n"
        "  - name: traffic\n    frequency: W\n    horizon: 4\n"
        "  - name: revenue\n    frequency: MS\n    levels: [50, 90]\n"
    )
    traffic, revenue = declared_datasets(path)
    assert (traffic.name, traffic.frequency, traffic.horizon) == ("traffic", "W-SUN", 4)
    assert revenue.levels == (50.0, 90.0)


def test_every_problem_is_named_with_its_place(tmp_path):
    path = tmp_path / "datasets.yaml"
    path.write_text(
        "datasets:\n"
        "  - name: traffic\n    frequency: fortnightly\n"
        "  - name: revenue\n    horizon: -1\n"
        "  - name: revenue\n"
        "  - just text\n"
    )
    with pytest.raises(DatasetFileError) as raised:
        declared_datasets(path)
    message = str(raised.value)
    assert "datasets[0] (traffic): frequency" in message
    assert "datasets[1] (revenue): horizon" in message
    assert "datasets[3]: expected a mapping" in message
    assert "named more than once: ['revenue']" in message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("datasets: {a: 1}\n", "must be a list"),
        ("other: []\n", "one top-level key"),
        ("[: x", "YAML"),
    ],
)
def test_a_malformed_file_is_refused(tmp_path, text, message):
    path = tmp_path / "datasets.yaml"
    path.write_text(text)
    with pytest.raises(DatasetFileError, match=message):
        declared_datasets(path)


def test_the_shipped_file_is_valid():
    assert isinstance(declared_datasets(default_datasets_file(config_dir())), list)

from orchestration.defs.ingestion.expectations import run_observation_suite
from orchestration.defs.ingestion.landing import LandingFile, parse_landing_file
from orchestration.defs.ingestion.quarantine import split_batch

BAD_BATCH = (
    "unique_id,ds,y\n"
    "a,2020-01-01,1\n"  # 0 duplicate of row 1
    "a,2020-01-01,2\n"  # 1
    ",2020-01-02,3\n"  # 2 no series
    "b,notadate,4\n"  # 3 bad timestamp
    "b,2020-01-05,inf\n"  # 4 infinite
    "b,2020-01-06,abc\n"  # 5 not a number
    "b,2020-01-07,5\n"  # 6 good
    "b,2020-01-08,500\n"  # 7 out of bounds when value_max=100
)


def _outcomes(**bounds):
    batch = parse_landing_file(LandingFile("bad.csv", BAD_BATCH.encode()))
    return batch, {o.name: o for o in run_observation_suite(batch, **bounds)}


def test_each_expectation_names_exactly_its_rows():
    _, outcomes = _outcomes(value_max=100.0)
    assert outcomes["schema"].success
    assert outcomes["series_id_not_null"].failed_rows == {2}
    assert outcomes["timestamp_valid"].failed_rows == {3}
    assert outcomes["value_numeric"].failed_rows == {5}
    assert outcomes["value_in_bounds"].failed_rows == {4, 7}
    assert outcomes["no_duplicate_timestamps"].failed_rows == {0, 1}


def test_split_accounts_for_every_row_with_reasons():
    batch, outcomes = _outcomes(value_max=100.0)
    good, bad = split_batch(batch, list(outcomes.values()))
    assert len(good) + len(bad) == len(batch)
    assert list(good.index) == [6]
    assert bad.loc[3, "expectation"] == "timestamp_valid"
    assert "value_in_bounds" in bad.loc[7, "reason"]


def test_clean_batch_passes_everything():
    batch = parse_landing_file(LandingFile("ok.csv", b"unique_id,ds,y\na,2020-01-01,1\n"))
    assert all(o.success for o in run_observation_suite(batch))

import io

import pandas as pd
import pytest

from core.covariates import Covariate
from orchestration.defs.ingestion.landing import (
    LandingFile,
    UnreadableFileError,
    parse_landing_file,
    read_landing_chunks,
)


def _csv(text: str, key: str = "batch.csv") -> LandingFile:
    return LandingFile(key=key, data=text.encode())


def test_csv_with_aliased_columns_is_parsed_with_raw_values_kept():
    rows = parse_landing_file(_csv("Series,Date,Value\nA,2024-01-01,1.5\nB,notadate,abc\n"))
    assert list(rows["unique_id"]) == ["A", "B"]
    assert rows.loc[0, "ds"] == pd.Timestamp("2024-01-01")
    assert pd.isna(rows.loc[1, "ds"]) and rows.loc[1, "ds_raw"] == "notadate"
    assert pd.isna(rows.loc[1, "y"]) and rows.loc[1, "y_raw"] == "abc"
    assert list(rows["source_row"]) == [1, 2]
    assert set(rows["source_file"]) == {"batch.csv"}


def test_empty_series_id_becomes_missing():
    rows = parse_landing_file(_csv("unique_id,ds,y\n,2024-01-01,1\n"))
    assert rows.loc[0, "unique_id"] is None


def test_parquet_is_read():
    frame = pd.DataFrame({"unique_id": ["A"], "ds": pd.to_datetime(["2024-02-01"]), "y": [3.0]})
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    rows = parse_landing_file(LandingFile("x.parquet", buffer.getvalue()))
    assert rows.loc[0, "y"] == 3.0 and rows.loc[0, "ds"] == pd.Timestamp("2024-02-01")


def test_missing_column_names_what_is_missing():
    with pytest.raises(UnreadableFileError, match=r"missing required column\(s\) y"):
        parse_landing_file(_csv("unique_id,ds\nA,2024-01-01\n"))


def test_unsupported_type_is_unreadable():
    with pytest.raises(UnreadableFileError, match="unsupported file type"):
        parse_landing_file(LandingFile("notes.txt", b"hello"))


def test_corrupt_parquet_is_unreadable():
    with pytest.raises(UnreadableFileError, match="cannot parse"):
        parse_landing_file(LandingFile("broken.parquet", b"not parquet at all"))


# -- covariate columns --------------------------------------------------------------------------
DECLARED = (
    Covariate("price"),
    Covariate("region", "categorical", "static"),
    Covariate.calendar("holiday", "US"),
)


def test_declared_covariate_columns_are_kept_as_received():
    rows = parse_landing_file(
        _csv("unique_id,ds,y, Price ,region\nA,2024-01-01,1,2.5,north\nA,2024-01-02,,3,north\n"),
        DECLARED,
    )
    assert rows["price"].tolist() == ["2.5", "3"]
    assert rows["region"].tolist() == ["north", "north"]
    assert rows["y_raw"].tolist() == ["1", ""]


def test_a_file_of_covariates_alone_needs_no_value_column():
    rows = parse_landing_file(_csv("unique_id,ds,price\nA,2030-01-01,2.5\n"), DECLARED)
    assert rows.loc[0, "y_raw"] == "" and rows.loc[0, "price"] == "2.5"
    with pytest.raises(UnreadableFileError, match="missing required column"):
        parse_landing_file(_csv("unique_id,ds\nA,2030-01-01\n"), DECLARED)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("unique_id,ds,y,colour\nA,2024-01-01,1,red\n", r"undeclared column\(s\) \['colour'\]"),
        ("unique_id,ds,y,holiday\nA,2024-01-01,1,1\n", "take no values"),
    ],
)
def test_an_undeclared_or_calendar_column_makes_the_file_unreadable(text, message):
    with pytest.raises(UnreadableFileError, match=message):
        parse_landing_file(_csv(text), DECLARED)


def test_a_dataset_without_covariates_refuses_extra_columns():
    with pytest.raises(UnreadableFileError, match="covariates: none"):
        parse_landing_file(_csv("unique_id,ds,y,price\nA,2024-01-01,1,2\n"))


def test_names_are_stripped_and_blank_values_are_not_numbers():
    rows = parse_landing_file(_csv("unique_id,ds,y\n a ,2024-01-01, \nA ,2024-01-02,\t2.5 \n"))
    assert list(rows["unique_id"]) == ["a", "A"]
    assert pd.isna(rows.loc[0, "y"]) and rows.loc[0, "y_raw"] == " "
    assert rows.loc[1, "y"] == 2.5


def test_an_empty_parquet_file_of_numeric_columns_has_no_rows():
    buffer = io.BytesIO()
    empty = {"unique_id": pd.Series([], dtype=float), "ds": pd.Series([], dtype=float)}
    pd.DataFrame(empty | {"y": pd.Series([], dtype=float)}).to_parquet(buffer, index=False)
    rows = parse_landing_file(LandingFile(key="empty.parquet", data=buffer.getvalue()))
    assert rows.empty and list(rows.columns)[:3] == ["unique_id", "ds", "y"]


# -- read in chunks ---------------------------------------------------------------------------
def _table(rows: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "series": [f"s{i % 7}" for i in range(rows)],
            "date": pd.date_range("2024-01-01", periods=rows, freq="h"),
            "value": [float(i) if i % 11 else None for i in range(rows)],
        }
    )


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize("index", [False, True])
def test_chunks_hold_the_rows_of_one_piece(suffix, index):
    buffer = io.BytesIO()
    if suffix == ".csv":
        _table(95).to_csv(buffer, index=False)
    else:
        _table(95).to_parquet(buffer, index=index)
    whole = parse_landing_file(LandingFile(f"f{suffix}", buffer.getvalue()))
    buffer.seek(0)
    chunks = list(read_landing_chunks(buffer, f"f{suffix}", chunk_rows=20))
    assert [len(c) for c in chunks] == [20, 20, 20, 20, 15]
    assert all(list(c.index) == list(range(len(c))) for c in chunks)
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), whole)
    assert whole["source_row"].tolist() == list(range(1, 96))


def test_a_file_unreadable_after_its_first_chunks_raises_when_read_there():
    text = "unique_id,ds,y\n" + "a,2024-01-01,1\n" * 25 + "a,b,c,d,e\n"
    chunks = read_landing_chunks(io.BytesIO(text.encode()), "late.csv", chunk_rows=10)
    assert len(next(chunks)) == 10
    with pytest.raises(UnreadableFileError, match=r"cannot parse late\.csv"):
        list(chunks)


def test_a_file_holding_covariates_comes_in_one_piece():
    text = "unique_id,ds,y,region\n" + "".join(f"A,2024-01-{d:02d},1,north\n" for d in range(1, 26))
    chunks = list(read_landing_chunks(io.BytesIO(text.encode()), "c.csv", DECLARED, chunk_rows=10))
    assert [len(c) for c in chunks] == [25]
    assert chunks[0]["source_row"].tolist() == list(range(1, 26))


def test_a_header_only_csv_in_chunks_is_checked_and_empty():
    assert [
        len(c) for c in read_landing_chunks(io.BytesIO(b"unique_id,ds,y\n"), "e.csv", (), 5)
    ] == [0]
    with pytest.raises(UnreadableFileError, match="missing required column"):
        list(read_landing_chunks(io.BytesIO(b"foo,bar\n"), "e.csv", (), 5))

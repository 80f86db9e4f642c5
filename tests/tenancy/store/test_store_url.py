"""Store URLs: parsing, defaults, errors, and passwords never shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenancy.store import (
    InvalidStoreURL,
    MongoLocation,
    SQLiteLocation,
    StoreUnavailable,
    open_store,
    parse_store_url,
    redact_url,
)

DATA = Path("/srv/brainhost")


@pytest.mark.parametrize(
    ("url", "root"),
    [
        ("sqlite://", DATA / "store"),
        ("sqlite:///", DATA / "store"),
        ("sqlite:///db", DATA / "db"),
        ("sqlite:///nested/dir", DATA / "nested" / "dir"),
        ("sqlite:////var/lib/bh", Path("/var/lib/bh")),
        ("SQLITE:///db", DATA / "db"),
        ("sqlite:///with%20space", DATA / "with space"),
    ],
)
def test_sqlite_urls_name_a_directory_relative_to_the_data_dir(url: str, root: Path) -> None:
    assert parse_store_url(url, data_dir=DATA) == SQLiteLocation(root)


@pytest.mark.parametrize(
    ("url", "database"),
    [
        ("mongodb://localhost:27017", "brainhost"),
        ("mongodb://localhost/", "brainhost"),
        ("mongodb://u:p@db1,db2/tenants?replicaSet=rs0", "tenants"),
        ("mongodb+srv://cluster.example.com/bh", "bh"),
    ],
)
def test_mongodb_urls_keep_the_url_and_name_the_database(url: str, database: str) -> None:
    assert parse_store_url(url, data_dir=DATA) == MongoLocation(url, database)


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("postgres://localhost/x", "unsupported scheme 'postgres'"),
        ("store", "unsupported scheme ''"),
        ("sqlite://host/db", "no host"),
        ("sqlite:///db?mode=ro", "no query"),
        ("mongodb:///db", "needs a host"),
        ("mongodb://h/a.b", "database name"),
        ("mongodb://h/much_too_long_name", "1-12 characters"),
    ],
)
def test_bad_urls_are_refused_with_the_reason(url: str, complaint: str) -> None:
    with pytest.raises(InvalidStoreURL) as caught:
        parse_store_url(url, data_dir=DATA)
    assert complaint in str(caught.value)


def test_the_password_of_a_refused_url_is_not_in_the_message() -> None:
    with pytest.raises(InvalidStoreURL) as caught:
        parse_store_url("mongodb://admin:hunter2@h/bad.name", data_dir=DATA)
    assert "hunter2" not in str(caught.value)
    assert "admin:***@h" in str(caught.value)


@given(
    password=st.text(
        alphabet=st.characters(codec="ascii", categories=("L", "N")), min_size=1, max_size=30
    ),
    user=st.text(alphabet="abcdefgh", min_size=1, max_size=8),
)
def test_redaction_never_shows_the_password(password: str, user: str) -> None:
    url = f"mongodb://{user}:{password}@db.example:27017/bh"

    shown = redact_url(url)

    assert f":{password}@" not in shown
    assert shown == f"mongodb://{user}:***@db.example:27017/bh"


@given(st.text(max_size=60))
def test_parsing_any_text_either_succeeds_or_raises_invalid_store_url(text: str) -> None:
    try:
        location = parse_store_url(text, data_dir=DATA)
    except InvalidStoreURL:
        return
    assert isinstance(location, SQLiteLocation | MongoLocation)


async def test_db_per_workspace_is_refused_for_sqlite(tmp_path: Path) -> None:
    with pytest.raises(InvalidStoreURL, match="MongoDB stores only"):
        await open_store("sqlite:///s", data_dir=tmp_path, mongo_db_per_workspace=True)


async def test_an_unreachable_mongodb_is_reported_unavailable_without_secrets(
    tmp_path: Path,
) -> None:
    # Real pymongo against a closed port: the driver's own error path, not a double.
    with pytest.raises(StoreUnavailable) as caught:
        await open_store(
            "mongodb://admin:hunter2@127.0.0.1:9/bh", data_dir=tmp_path, mongo_timeout_s=0.3
        )
    assert "unreachable" in str(caught.value)
    assert "hunter2" not in str(caught.value)

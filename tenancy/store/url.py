"""Store URLs (``BRAINHOST_STORE``): parsing and credential-free display.

- ``sqlite:///<relative dir>`` is resolved against the data directory,
  ``sqlite:////<absolute dir>`` is taken as is, ``sqlite://`` alone means
  ``<data dir>/store``. The directory holds ``system.db`` and ``workspaces/``.
- ``mongodb://...`` and ``mongodb+srv://...`` are handed to pymongo; the database name is the
  URL's path (default ``brainhost``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tenancy.store.errors import InvalidStoreURL

__all__ = [
    "DEFAULT_MONGO_DATABASE",
    "MongoLocation",
    "SQLiteLocation",
    "parse_store_url",
    "redact_url",
]

DEFAULT_MONGO_DATABASE = "brainhost"
_MONGO_DB_NAME = re.compile(r"[A-Za-z0-9_-]{1,12}")


@dataclass(frozen=True, slots=True)
class SQLiteLocation:
    """Where an SQLite store lives: the directory of ``system.db``."""

    root: Path


@dataclass(frozen=True, slots=True)
class MongoLocation:
    """A MongoDB deployment and the (system) database name to use on it."""

    url: str
    database: str


def redact_url(url: str) -> str:
    """`url` with any password replaced by ``***`` (safe for logs and error messages)."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "<unparseable URL>"
    if password is None:
        return url
    netloc = parts.netloc.replace(f":{password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def parse_store_url(url: str, *, data_dir: Path) -> SQLiteLocation | MongoLocation:
    """Parse a store URL; raises `InvalidStoreURL` naming what is wrong."""
    shown = redact_url(url)
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise InvalidStoreURL(f"store URL {shown!r} is malformed: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        if parts.netloc:
            raise InvalidStoreURL(
                f"store URL {shown!r}: sqlite URLs have no host; use sqlite:///<relative dir> "
                "or sqlite:////<absolute dir>"
            )
        if parts.query or parts.fragment:
            raise InvalidStoreURL(f"store URL {shown!r}: sqlite URLs take no query or fragment")
        path = unquote(parts.path)
        if "\x00" in path:
            raise InvalidStoreURL(f"store URL {shown!r}: path contains a NUL character")
        # sqlite:///x -> path "/x" (relative to the data dir); sqlite:////x -> "//x" (absolute).
        relative = path[1:] if path.startswith("/") else path
        if not relative:
            return SQLiteLocation(data_dir / "store")
        if relative.startswith("/"):
            return SQLiteLocation(Path(relative))
        return SQLiteLocation(data_dir / relative)
    if scheme in ("mongodb", "mongodb+srv"):
        if not parts.netloc:
            raise InvalidStoreURL(f"store URL {shown!r}: a MongoDB URL needs a host")
        database = unquote(parts.path.lstrip("/")) or DEFAULT_MONGO_DATABASE
        if _MONGO_DB_NAME.fullmatch(database) is None:
            raise InvalidStoreURL(
                f"store URL {shown!r}: database name {database!r} must be 1-12 characters of "
                "letters, digits, '_' or '-' (workspace databases append '_w_<workspace id>', and "
                "MongoDB caps names at 63 bytes)"
            )
        return MongoLocation(url=url, database=database)
    raise InvalidStoreURL(
        f"store URL {shown!r} has unsupported scheme {parts.scheme!r}; "
        "use sqlite:///<dir> or mongodb://<host>/<database>"
    )

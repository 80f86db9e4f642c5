"""Small SQL helpers shared by the SQLite repositories (run on worker threads)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from tenancy.store.errors import Conflict, StoreError


@contextmanager
def transaction(conn: sqlite3.Connection, *, write: bool = True) -> Iterator[None]:
    """A transaction; ``write=True`` takes the write lock up front (BEGIN IMMEDIATE) so a
    read-check-write sequence is atomic against other connections and processes too."""
    conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def conflict(exc: sqlite3.IntegrityError, fields: Mapping[str, str], what: str) -> StoreError:
    """Turn a constraint failure into `Conflict`, naming the unique field that collided.

    `fields` maps SQLite's constraint description (``"users.email_key"``) to the field name
    callers know (``"email"``).
    """
    text = str(exc)
    for constraint, field in fields.items():
        if text.endswith(constraint):
            return Conflict(f"{what} with this {field} already exists", field=field)
    return StoreError(f"{what}: constraint failed: {text}")

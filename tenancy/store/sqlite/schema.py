"""SQLite schemas as ordered migrations, applied on open.

Each database records its version in ``schema_version``; opening applies the missing steps,
each in its own transaction (SQLite DDL is transactional, so a failed step leaves the previous
version intact). A database newer than this code is refused rather than guessed at.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from tenancy.store.errors import SchemaError


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step: the version it produces and the statements that produce it."""

    version: int
    description: str
    statements: tuple[str, ...]


SYSTEM_MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "accounts: users, login codes, sessions, revoked access tokens",
        (
            """CREATE TABLE users (
                id TEXT PRIMARY KEY,
                email TEXT NOT NULL,
                email_key TEXT NOT NULL UNIQUE,
                display_name TEXT,
                created_at INTEGER NOT NULL
            ) STRICT""",
            """CREATE TABLE login_codes (
                email_key TEXT PRIMARY KEY,
                email TEXT NOT NULL,
                code_hmac BLOB NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                attempts INTEGER NOT NULL,
                consumed INTEGER NOT NULL
            ) STRICT""",
            "CREATE INDEX login_codes_expires_at ON login_codes (expires_at)",
            """CREATE TABLE sessions (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL,
                family_id TEXT NOT NULL,
                token_hash BLOB NOT NULL UNIQUE,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                revoked INTEGER NOT NULL,
                rotated_to TEXT
            ) STRICT""",
            "CREATE INDEX sessions_family ON sessions (family_id)",
            "CREATE INDEX sessions_user ON sessions (user_id)",
            "CREATE INDEX sessions_expires_at ON sessions (expires_at)",
            """CREATE TABLE revoked_tokens (
                jti TEXT PRIMARY KEY,
                expires_at INTEGER NOT NULL
            ) STRICT""",
            "CREATE INDEX revoked_tokens_expires_at ON revoked_tokens (expires_at)",
        ),
    ),
    Migration(
        2,
        "tenancy: workspaces, members, domains",
        (
            """CREATE TABLE workspaces (
                id TEXT PRIMARY KEY,
                slug TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL,
                created_at INTEGER NOT NULL
            ) STRICT""",
            """CREATE TABLE members (
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                id TEXT NOT NULL,
                role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
                kind TEXT NOT NULL CHECK (kind IN ('human', 'digital')),
                user_id TEXT,
                email TEXT,
                email_key TEXT,
                brain_id TEXT,
                created_at INTEGER NOT NULL,
                PRIMARY KEY (workspace_id, id),
                UNIQUE (workspace_id, user_id),
                UNIQUE (workspace_id, email_key)
            ) STRICT""",
            "CREATE INDEX members_user ON members (user_id)",
            "CREATE INDEX members_email_key ON members (email_key)",
            """CREATE TABLE domains (
                domain TEXT PRIMARY KEY,
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                created_at INTEGER NOT NULL
            ) STRICT""",
            "CREATE INDEX domains_workspace ON domains (workspace_id)",
        ),
    ),
    Migration(
        3,
        "brain hosting: FEAGI API keys, brain directory",
        (
            """CREATE TABLE feagi_keys (
                key_hash BLOB PRIMARY KEY,
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                brain_id TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                revoked INTEGER NOT NULL
            ) STRICT""",
            "CREATE INDEX feagi_keys_brain ON feagi_keys (workspace_id, brain_id, created_at)",
            """CREATE TABLE brain_directory (
                brain_id TEXT PRIMARY KEY,
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE
            ) STRICT""",
            "CREATE INDEX brain_directory_workspace ON brain_directory (workspace_id)",
        ),
    ),
    Migration(
        4,
        "running brains index (filled from the workspace files on first use)",
        (
            # No foreign key to workspaces: brain records live in the workspace files, so
            # the entries follow them, not the workspace row (drop_workspace deletes them).
            """CREATE TABLE running_brains (
                workspace_id TEXT NOT NULL,
                brain_id TEXT NOT NULL,
                PRIMARY KEY (workspace_id, brain_id)
            ) STRICT, WITHOUT ROWID""",
            # One-time fills of system tables from the workspace files that a migration
            # cannot do in SQL (it sees only system.db); a row is deleted once done.
            "CREATE TABLE pending_backfills (name TEXT PRIMARY KEY) STRICT",
            "INSERT INTO pending_backfills (name) VALUES ('running_brains')",
        ),
    ),
)

WORKSPACE_MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "apps and brains",
        (
            """CREATE TABLE apps (
                app_id TEXT PRIMARY KEY,
                version TEXT NOT NULL,
                settings TEXT NOT NULL,
                installed_at INTEGER NOT NULL
            ) STRICT""",
            """CREATE TABLE brains (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                genome TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            ) STRICT""",
            """CREATE TABLE brain_snapshots (
                brain_id TEXT PRIMARY KEY REFERENCES brains (id) ON DELETE CASCADE,
                data BLOB NOT NULL,
                burst_count INTEGER NOT NULL,
                saved_at INTEGER NOT NULL
            ) STRICT""",
        ),
    ),
    Migration(
        2,
        "memories and mail threads",
        (
            """CREATE TABLE memories (
                id TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                brain_id TEXT,
                data TEXT NOT NULL,
                created_at INTEGER NOT NULL
            ) STRICT""",
            "CREATE INDEX memories_kind ON memories (kind, created_at, id)",
            "CREATE INDEX memories_brain ON memories (brain_id, created_at, id)",
            """CREATE TABLE threads (
                id TEXT PRIMARY KEY,
                subject TEXT NOT NULL,
                participants TEXT NOT NULL,
                created_at INTEGER NOT NULL
            ) STRICT""",
            "CREATE INDEX threads_created ON threads (created_at, id)",
            """CREATE TABLE thread_messages (
                message_id TEXT PRIMARY KEY,
                thread_id TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
                seq INTEGER NOT NULL,
                sender TEXT NOT NULL,
                sent_at INTEGER NOT NULL,
                body TEXT NOT NULL,
                headers TEXT NOT NULL,
                UNIQUE (thread_id, seq)
            ) STRICT""",
        ),
    ),
    Migration(
        3,
        "brain hosting settings and cached counts",
        (
            "ALTER TABLE brains ADD COLUMN frequency_hz REAL",
            "ALTER TABLE brains ADD COLUMN desired_state TEXT NOT NULL DEFAULT 'stopped' "
            "CHECK (desired_state IN ('stopped', 'running', 'paused'))",
            "ALTER TABLE brains ADD COLUMN seed INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE brains ADD COLUMN cortical_area_count INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE brains ADD COLUMN neuron_count INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE brains ADD COLUMN synapse_count INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE brains ADD COLUMN burst_count INTEGER NOT NULL DEFAULT 0",
        ),
    ),
)


def _check_order(migrations: Sequence[Migration]) -> None:
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise SchemaError(f"migrations must be numbered 1..n without gaps; got {versions}")


def current_version(conn: sqlite3.Connection) -> int:
    """The schema version of a database (0 for a fresh file)."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        "version INTEGER NOT NULL, description TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row[0] is not None else 0


def migrate(
    conn: sqlite3.Connection,
    migrations: Sequence[Migration],
    *,
    where: str,
    target: int | None = None,
) -> int:
    """Apply the steps above the database's version up to `target` (default: latest).

    Returns the resulting version. Raises `SchemaError` when the database is newer than the
    code or a step fails (that step is rolled back).
    """
    _check_order(migrations)
    latest = len(migrations) if target is None else target
    version = current_version(conn)
    if version > len(migrations):
        raise SchemaError(
            f"{where}: schema version {version} is newer than this brainhost supports "
            f"({len(migrations)}); upgrade brainhost or restore a matching backup"
        )
    for step in migrations[version:latest]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated between our read and the lock.
            if current_version(conn) >= step.version:
                conn.execute("COMMIT")
                continue
            for statement in step.statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (version, description, applied_at) "
                "VALUES (?, ?, datetime('now'))",
                (step.version, step.description),
            )
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            raise SchemaError(
                f"{where}: migration to version {step.version} ({step.description}) failed: {exc}"
            ) from exc
    return current_version(conn)

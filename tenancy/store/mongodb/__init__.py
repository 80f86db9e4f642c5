"""The MongoDB adapter on pymongo's async client (shared collections or a database per
workspace)."""

from tenancy.store.mongodb.store import MongoStore, MongoWorkspaceStore

__all__ = ["MongoStore", "MongoWorkspaceStore"]

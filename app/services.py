"""What one running app holds: settings, the actor system and the tenancy services.

``build_services`` starts everything in dependency order; ``Services.aclose`` stops it
in reverse through one exit stack, so a part added here is always stopped.
"""

from __future__ import annotations

import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

import structlog

from actors import ActorSystem
from app.security import auth_config_from, load_app_registry, periodic_purge
from app.settings import Settings
from tenancy.auth import AuthService, build_auth_service
from tenancy.hosting import BrainHost, HostConfig, Quotas
from tenancy.store import Store, open_store
from tenancy.workspaces import WorkspaceService

__all__ = ["Services", "build_services"]

_log = structlog.get_logger("brainhost.services")


@dataclass
class Services:
    """The live parts of one app; reachable from handlers as ``request.app.state.services``."""

    settings: Settings
    actors: ActorSystem
    started_at: float = field(default_factory=time.monotonic)
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack)
    store: Store | None = None
    auth: AuthService | None = None
    workspaces: WorkspaceService | None = None
    brains: BrainHost | None = None

    @property
    def ready(self) -> bool:
        return self.actors.running

    async def aclose(self) -> None:
        """Stop every part, newest first."""
        await self._stack.aclose()


async def build_services(settings: Settings) -> Services:
    """Create the data dir and start every part of the service."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    stack = AsyncExitStack()
    try:
        actors = ActorSystem()
        await actors.start()
        stack.push_async_callback(actors.aclose, timeout=settings.shutdown_timeout_s)
        services = Services(settings=settings, actors=actors, _stack=stack)
        store = await open_store(
            settings.store_url,
            data_dir=settings.data_dir,
            mongo_db_per_workspace=settings.mongo_db_per_workspace,
        )
        stack.push_async_callback(store.aclose)
        services.store = store
        services.auth = await build_auth_service(auth_config_from(settings), store)
        services.workspaces = WorkspaceService(store, load_app_registry(settings))
        await stack.enter_async_context(periodic_purge(services.auth))
        brains = BrainHost(actors, store, host_config_from(settings))
        await brains.start()
        # Pushed after the store: stops (persisting every brain) before the store closes.
        stack.push_async_callback(brains.aclose)
        services.brains = brains
    except BaseException:
        await stack.aclose()
        raise
    return services


def host_config_from(settings: Settings) -> HostConfig:
    """The brain host's settings."""
    return HostConfig(
        default_frequency_hz=settings.brain_default_hz,
        event_hz=settings.event_hz,
        brain_idle_s=settings.brain_idle_s,
        quotas=Quotas(
            max_brains=settings.quota_max_brains,
            max_neurons=settings.quota_max_neurons,
            max_synapses=settings.quota_max_synapses,
            max_frequency_hz=settings.quota_max_frequency_hz,
            max_ws_connections=settings.quota_max_ws_connections,
        ),
    )

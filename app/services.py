"""What one running app holds: settings, the actor system and the tenancy services.

``build_services`` starts everything in dependency order; ``Services.aclose`` stops it
in reverse through one exit stack, so a part added here is always stopped. The burst
kernels are not loaded before the service is ready: the app calls ``Services.kernels.start``
once it is, and brain work waits for them (``brains.warmup``).
"""

from __future__ import annotations

import gc
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

import structlog

from actors import ActorSystem
from app.security import auth_config_from, load_app_registry, periodic_purge
from app.settings import Settings
from brains.warmup import KernelWarmup, kernels_loaded, warm_up_kernels
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
    kernels: KernelWarmup
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
        kernels = KernelWarmup(_load_kernels)
        services = Services(settings=settings, actors=actors, kernels=kernels, _stack=stack)
        store = await open_store(
            settings.store_url,
            data_dir=settings.data_dir,
            mongo_db_per_workspace=settings.mongo_db_per_workspace,
        )
        stack.push_async_callback(store.aclose)
        services.store = store
        services.auth = await build_auth_service(auth_config_from(settings), store)
        services.workspaces = WorkspaceService(
            store, load_app_registry(settings), access_cache_ttl_s=settings.auth_cache_ttl_s
        )
        await stack.enter_async_context(periodic_purge(services.auth))
        brains = BrainHost(actors, store, host_config_from(settings), kernels_ready=kernels.wait)
        await brains.start()
        # Pushed after the store: stops (persisting every brain) before the store closes.
        stack.push_async_callback(brains.aclose)
        services.brains = brains
    except BaseException:
        await stack.aclose()
        raise
    return services


def _load_kernels() -> float:
    """``warm_up_kernels`` with the heap frozen around it (runs in the warm-up thread).

    A full garbage collection holds the GIL while it scans every tracked object, stalling
    the event loop: 50-100 ms over the ~150,000 objects of a service with numba loaded, and
    the load triggers several. The modules imported at start and numba's type registries
    live as long as the process, so they are moved to the permanent generation
    (``gc.freeze``, which costs nothing), before the load and after it, and no collection
    scans them again. Only the load that does the work freezes: later apps of the same
    process (tests) would freeze their predecessors' garbage.
    """
    if kernels_loaded():
        return 0.0
    gc.freeze()
    seconds = warm_up_kernels()
    gc.freeze()
    return seconds


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
        feagi_key_cache_ttl_s=settings.auth_cache_ttl_s,
    )

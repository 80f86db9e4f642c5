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
from app.settings import Settings

__all__ = ["Services", "build_services"]

_log = structlog.get_logger("brainhost.services")


@dataclass
class Services:
    """The live parts of one app; reachable from handlers as ``request.app.state.services``."""

    settings: Settings
    actors: ActorSystem
    started_at: float = field(default_factory=time.monotonic)
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack)

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
    except BaseException:
        await stack.aclose()
        raise
    return services

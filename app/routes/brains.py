"""Brains of a workspace over REST: create, list, drive, read and edit them.

Roles: members read and drive brains (burst engine, steps, sensory input, stimulation,
renaming, frequency); admins and owners also create and delete brains and replace genomes,
which change what a brain is. Bodies carrying a genome may be up to
``BRAINHOST_GENOME_MAX_BODY_BYTES``; every other body up to 64 KiB (sensory batches) or less.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse

from app.endpoint import read_json_body
from app.errors import ApiError
from app.security import GuardedRouter
from tenancy.hosting import BrainHost, BrainInfo

__all__ = ["api"]

api = GuardedRouter(tags=("brains",), max_body=1024)

_BRAIN = "/v1/workspaces/{ws}/brains/{brain}"
_INPUT_BODY = 4 * 1_048_576  # sensory batches: up to 100,000 voxels


class BrainCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    genome: dict[str, Any] | None = Field(None, description="A FEAGI genome (JSON object).")
    template: Literal["barebones", "essential"] | None = Field(
        None, description="A built-in genome, instead of `genome`."
    )
    frequency_hz: float | None = Field(None, gt=0, description="Bursts per second.")
    autostart: bool = Field(False, description="Start bursting at once.")


class BrainUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=200)
    frequency_hz: float | None = Field(None, gt=0)


class BrainStatsOut(BaseModel):
    burst_count: int
    cortical_area_count: int
    neuron_count: int
    synapse_count: int
    frequency_hz: float
    achieved_hz: float
    state: Literal["stopped", "running", "paused"]


class BrainOut(BaseModel):
    id: str
    workspace_id: str
    name: str
    frequency_hz: float
    state: Literal["stopped", "running", "paused"]
    stats: BrainStatsOut

    @classmethod
    def of(cls, info: BrainInfo) -> BrainOut:
        return cls(
            id=info.id,
            workspace_id=info.workspace_id,
            name=info.name,
            frequency_hz=info.frequency_hz,
            state=info.state,
            stats=BrainStatsOut(
                **dataclasses.asdict(info.stats),
                frequency_hz=info.frequency_hz,
                achieved_hz=info.achieved_hz,
                state=info.state,
            ),
        )


class BrainList(BaseModel):
    brains: list[BrainOut]


class StepBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n: int = Field(1, ge=1, le=10_000, description="Bursts to run now.")


class StepOut(BaseModel):
    burst_count: int


class SensoryBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    area: str = Field(min_length=1, max_length=64, description="Cortical area id.")
    voxels: list[list[float]] = Field(description="[[x, y, z, value], ...]")


class StimulateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    area: str = Field(min_length=1, max_length=64, description="Cortical area id.")
    voxels: list[list[int]] | None = Field(
        None, description="[[x, y, z], ...]; omitted: every neuron of the area."
    )


class InputOut(BaseModel):
    accepted: int | Literal["all"]


class MotorOut(BaseModel):
    burst_count: int
    motor: dict[str, list[list[float]]] = Field(
        description="Per motor area, [x, y, z, activity] of the voxels active in the last burst."
    )


class GenomeReplaced(BaseModel):
    stats: dict[str, int]


def brain_host(request: Request) -> BrainHost:
    services = getattr(request.app.state, "services", None)
    host = getattr(services, "brains", None)
    if not isinstance(host, BrainHost):
        raise ApiError(503, "unavailable", "the brain host is starting or stopping")
    return host


def _genome_limit(request: Request) -> int:
    limit: int = request.app.state.services.settings.genome_max_body_bytes
    return limit


def _document_body(model: type[BaseModel]) -> None:
    """The handler above reads its body itself (size limit from settings); document it."""
    api.operations[-1] = dataclasses.replace(api.operations[-1], body=model)


def _ids(request: Request) -> tuple[str, str]:
    return request.path_params["ws"], request.path_params["brain"]


# ---------------------------------------------------------------------- brains


@api.post(
    "/v1/workspaces/{ws}/brains", response=BrainOut, status=201, role="admin", errors=(413, 422)
)
async def create_brain(request: Request) -> BrainOut:
    """Create a brain from a genome or a template (admin); quotas apply (403)."""
    body = await read_json_body(request, BrainCreate, _genome_limit(request))
    host = brain_host(request)
    genome = None if body.genome is None else host.parse_genome(body.genome)
    info = await host.create_brain(
        request.path_params["ws"],
        name=body.name,
        genome=genome,
        template=body.template,
        frequency_hz=body.frequency_hz,
        autostart=body.autostart,
    )
    return BrainOut.of(info)


_document_body(BrainCreate)


@api.get("/v1/workspaces/{ws}/brains", response=BrainList, role="member")
async def list_brains(request: Request) -> BrainList:
    """Every brain of the workspace."""
    infos = await brain_host(request).list_brains(request.path_params["ws"])
    return BrainList(brains=[BrainOut.of(info) for info in infos])


@api.get(_BRAIN, response=BrainOut, role="member")
async def get_brain(request: Request) -> BrainOut:
    """One brain."""
    return BrainOut.of(await brain_host(request).get_brain(*_ids(request)))


@api.patch(_BRAIN, body=BrainUpdate, response=BrainOut, role="member")
async def update_brain(request: Request, body: BrainUpdate) -> BrainOut:
    """Rename a brain or change its burst frequency."""
    info = await brain_host(request).update_brain(
        *_ids(request), name=body.name, frequency_hz=body.frequency_hz
    )
    return BrainOut.of(info)


@api.delete(_BRAIN, status=204, role="admin")
async def delete_brain(request: Request) -> None:
    """Delete a brain, its snapshot and its FEAGI keys (admin)."""
    await brain_host(request).delete_brain(*_ids(request))


# ---------------------------------------------------------------------- driving


async def _control(request: Request, action: str) -> BrainStatsOut:
    ws, brain = _ids(request)
    return BrainStatsOut(**await brain_host(request).command(ws, brain, action, {}))


@api.post(f"{_BRAIN}/burst_engine/start", response=BrainStatsOut, role="member", errors=(422,))
async def start_brain(request: Request) -> BrainStatsOut:
    """Start bursting at the brain's frequency."""
    return await _control(request, "start")


@api.post(f"{_BRAIN}/burst_engine/stop", response=BrainStatsOut, role="member", errors=(422,))
async def stop_brain(request: Request) -> BrainStatsOut:
    """Stop bursting (a snapshot is persisted)."""
    return await _control(request, "stop")


@api.post(f"{_BRAIN}/burst_engine/pause", response=BrainStatsOut, role="member", errors=(422,))
async def pause_brain(request: Request) -> BrainStatsOut:
    """Pause bursting (422 when stopped)."""
    return await _control(request, "pause")


@api.post(f"{_BRAIN}/burst_engine/resume", response=BrainStatsOut, role="member", errors=(422,))
async def resume_brain(request: Request) -> BrainStatsOut:
    """Resume a paused brain (422 when not paused)."""
    return await _control(request, "resume")


@api.post(f"{_BRAIN}/step", body=StepBody, response=StepOut, role="member")
async def step_brain(request: Request, body: StepBody) -> StepOut:
    """Run `n` bursts now (between scheduled ones when running)."""
    ws, brain = _ids(request)
    return StepOut(**await brain_host(request).command(ws, brain, "step", {"n": body.n}))


@api.get(f"{_BRAIN}/stats", response=BrainStatsOut, role="member")
async def brain_stats(request: Request) -> BrainStatsOut:
    """Burst counter, size, target and achieved frequency, run state."""
    ws, brain = _ids(request)
    return BrainStatsOut(**await brain_host(request).command(ws, brain, "stats", {}))


@api.post(
    f"{_BRAIN}/sensory", body=SensoryBody, response=InputOut, role="member",
    max_body=_INPUT_BODY,
)
async def brain_sensory(request: Request, body: SensoryBody) -> InputOut:
    """Add potential to voxels of an area before the next burst."""
    ws, brain = _ids(request)
    args = {"area": body.area, "voxels": body.voxels}
    return InputOut(**await brain_host(request).command(ws, brain, "sensory", args))


@api.post(
    f"{_BRAIN}/stimulate", body=StimulateBody, response=InputOut, role="member",
    max_body=_INPUT_BODY,
)
async def brain_stimulate(request: Request, body: StimulateBody) -> InputOut:
    """Force voxels of an area (all of it without `voxels`) to fire in the next burst."""
    ws, brain = _ids(request)
    args: dict[str, Any] = {"area": body.area}
    if body.voxels is not None:
        args["voxels"] = body.voxels
    return InputOut(**await brain_host(request).command(ws, brain, "stimulate", args))


@api.get(f"{_BRAIN}/motor", response=MotorOut, role="member")
async def brain_motor(request: Request) -> MotorOut:
    """Motor output of the last burst."""
    ws, brain = _ids(request)
    return MotorOut(**await brain_host(request).command(ws, brain, "motor", {}))


# ---------------------------------------------------------------------- genome


@api.get(f"{_BRAIN}/genome", role="member")
async def get_genome(request: Request) -> JSONResponse:
    """The brain's genome as it stands after every edit (FEAGI flat format)."""
    ws, brain = _ids(request)
    result = await brain_host(request).command(ws, brain, "genome", {})
    return JSONResponse(result["genome"])


class _GenomeDocument(BaseModel):
    """Any JSON object; validated as a FEAGI genome (422 lists every error with its path)."""

    model_config = ConfigDict(extra="allow")


@api.put(f"{_BRAIN}/genome", response=GenomeReplaced, role="admin", errors=(413, 422))
async def put_genome(request: Request) -> GenomeReplaced:
    """Replace the genome and re-develop the brain (admin); on any error it keeps the old one."""
    body = await read_json_body(request, _GenomeDocument, _genome_limit(request))
    ws, brain = _ids(request)
    document = body.model_dump()
    result = await brain_host(request).command(ws, brain, "put_genome", {"genome": document})
    return GenomeReplaced(stats=result["stats"])


_document_body(_GenomeDocument)

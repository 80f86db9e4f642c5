"""FEAGI's REST paths (``/v1/...``) served for one brain.

Each handler does its reading or editing in one ``access.call(fn)`` so ids are resolved
against the same state they act on. Errors answer in the engine's shape
(``{"code", "message"}``) with the status a client can act on: 400 bad value, 404 unknown
area or neuron, 413 body too large, 422 body of the wrong structure or invalid genome.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Final, TypeVar

import anyio.to_thread
import orjson
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.endpoint import validation_fields
from app.feagi import views
from app.feagi.access import FeagiBrainAccess
from app.feagi.edits import add_custom_area, apply_area_changes, area_changes
from app.feagi.errors import FeagiError, feagi_error_response
from app.feagi.ids import CorticalIdMap
from brains.brain import Brain, InvalidBrainInputError
from brains.connectome import (
    ConnectomeError,
    LimitExceededError,
    UnknownAreaError,
    UnknownNeuronError,
    UnknownRegionError,
)
from brains.genome import (
    DEFAULT_LIMITS,
    Coordinate2D,
    GenomeValidationError,
)
from brains.npu import InvalidInputError as NpuInputError

__all__ = ["ACCESS_STATE_KEY", "MAX_BODY_BYTES", "MAX_GENOME_BYTES", "routes"]

ACCESS_STATE_KEY: Final = "feagi_access"
MAX_BODY_BYTES: Final = 1_048_576
MAX_GENOME_BYTES: Final = DEFAULT_LIMITS.max_file_bytes
GENOME_MEDIA_TYPE: Final = "application/vnd.feagi.genome+json"
_INLINE_BODY_BYTES: Final = 65_536

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
Handler = Callable[[Request], Awaitable[Response]]

# --------------------------------------------------------------------------- plumbing


def _access(request: Request) -> FeagiBrainAccess:
    access: FeagiBrainAccess = request.scope["state"][ACCESS_STATE_KEY]
    return access


async def _raw_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise FeagiError(413, f"request body exceeds {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise FeagiError(413, f"request body exceeds {limit} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        raise FeagiError(400, "request body is empty; expected a JSON object")
    return raw


def _decode_object(raw: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise FeagiError(400, f"request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise FeagiError(422, f"request body must be a JSON object, got {type(data).__name__}")
    return data


def _validate(model: type[M], raw: bytes) -> M:
    data = _decode_object(raw)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = validation_fields(exc)
        detail = "; ".join(f"{path}: {message}" for path, message in fields.items())
        raise FeagiError(422, f"invalid request body: {detail}", {"errors": fields}) from None


async def _off_loop_if_large(raw: bytes, fn: Callable[[bytes], T]) -> T:
    # Decoding and validating a large body (a big stimulation batch) is CPU work.
    if len(raw) > _INLINE_BODY_BYTES:
        return await anyio.to_thread.run_sync(fn, raw)
    return fn(raw)


async def _json_object(request: Request, limit: int = MAX_BODY_BYTES) -> dict[str, Any]:
    return await _off_loop_if_large(await _raw_body(request, limit), _decode_object)


async def _model(request: Request, model: type[M]) -> M:
    raw = await _raw_body(request, MAX_BODY_BYTES)
    return await _off_loop_if_large(raw, lambda body: _validate(model, body))


def _genome_limit(request: Request) -> int:
    """The app's genome body limit (``BRAINHOST_GENOME_MAX_BODY_BYTES``) when it has one."""
    settings = getattr(request.app.state, "settings", None)
    limit = getattr(settings, "genome_max_body_bytes", None)
    return limit if isinstance(limit, int) and limit > 0 else MAX_GENOME_BYTES


def _resolve(brain: Brain, given: object, what: str = "cortical_id") -> tuple[str, CorticalIdMap]:
    if not isinstance(given, str) or not given:
        raise FeagiError(400, f"{what} required: a cortical area id (base64 of 8 bytes)")
    ids = views.id_map(brain)
    local = ids.to_local(given)
    if local is None:
        raise FeagiError(404, f"{what}: no cortical area {given!r} in this brain")
    return local, ids


def _status_of(exc: ConnectomeError) -> int:
    if isinstance(exc, UnknownAreaError | UnknownNeuronError | UnknownRegionError):
        return 404
    if isinstance(exc, LimitExceededError):
        return 422
    return 400


def _genome_errors(exc: GenomeValidationError) -> list[dict[str, str]]:
    return [{"path": e.path, "kind": str(e.kind), "message": e.message} for e in exc.errors]


def _route(path: str, method: str) -> Callable[[Handler], Route]:
    """A route whose errors become FEAGI-shaped answers."""

    def wrap(handler: Handler) -> Route:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request)
            except FeagiError as exc:
                return feagi_error_response(exc)
            except GenomeValidationError as exc:
                return feagi_error_response(
                    FeagiError(422, f"invalid genome: {exc}", {"errors": _genome_errors(exc)}))
            except ConnectomeError as exc:
                return feagi_error_response(FeagiError(_status_of(exc), str(exc)))
            except (InvalidBrainInputError, NpuInputError) as exc:
                return feagi_error_response(FeagiError(400, str(exc)))

        return Route(path, endpoint, methods=[method], name=handler.__name__)

    return wrap


# --------------------------------------------------------------------------- bodies

_Dim = Annotated[StrictInt, Field(ge=1)]


class _CustomArea(BaseModel):
    model_config = ConfigDict(extra="ignore")
    cortical_name: str = Field(min_length=1, max_length=200)
    cortical_dimensions: tuple[_Dim, _Dim, _Dim]
    coordinates_3d: tuple[StrictInt, StrictInt, StrictInt] = (0, 0, 0)
    coordinates_2d: tuple[StrictInt | None, StrictInt | None] | None = None
    brain_region_id: str | None = None
    cortical_sub_group: str | None = Field(None, max_length=200)
    sub_group_id: str | None = Field(None, max_length=200)


class _Timestep(BaseModel):
    model_config = ConfigDict(extra="ignore")
    simulation_timestep: float


class _Stimulation(BaseModel):
    model_config = ConfigDict(extra="ignore")
    stimulation_payload: dict[str, list[tuple[StrictInt, StrictInt, StrictInt]]]


# --------------------------------------------------------------------------- system


@_route("/v1/system/health_check", "GET")
async def health_check(request: Request) -> Response:
    access = _access(request)
    run = await access.run_state()
    return JSONResponse(await access.call(lambda brain: views.health_check(brain, run)))


# --------------------------------------------------------------------------- genome


@_route("/v1/genome/upload", "POST")
async def genome_upload(request: Request) -> Response:
    access = _access(request)
    raw = await _raw_body(request, _genome_limit(request))
    try:
        document = await anyio.to_thread.run_sync(orjson.loads, raw)
    except orjson.JSONDecodeError as exc:
        raise FeagiError(400, f"the genome is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise FeagiError(422, "the genome must be a JSON object")
    await access.upload_genome(document)

    def loaded(brain: Brain) -> tuple[int, int, float]:
        connectome = brain.connectome
        hz = brain.genome.physiology.burst_frequency_hz
        return len(connectome.regions), len(connectome.area_ids), hz

    regions, areas, hz = await access.call(loaded)
    answer: dict[str, Any] = {
        "success": True,
        "message": "Genome uploaded successfully",
        "brain_region_count": regions,
        "cortical_area_count": areas,
    }
    # Loading a genome sets the burst rate from its physiology, as the engine does; a
    # rate the brain may not run at (a quota) leaves the rate as it was, and says so.
    try:
        await access.set_frequency(hz)
    except FeagiError as exc:
        answer["warning"] = f"burst rate kept: {exc.message}"
    return JSONResponse(answer)


@_route("/v1/genome/download", "GET")
async def genome_download(request: Request) -> Response:
    def download(brain: Brain) -> bytes:
        return orjson.dumps(views.genome_document(brain))

    body = await _access(request).call(download)
    return Response(body, media_type=GENOME_MEDIA_TYPE)


# --------------------------------------------------------------------------- cortical areas


@_route("/v1/cortical_area/cortical_area_id_list", "GET")
async def cortical_area_id_list(request: Request) -> Response:
    ids = await _access(request).call(lambda brain: list(views.id_map(brain).api_ids.values()))
    return JSONResponse({"cortical_ids": ids})


@_route("/v1/cortical_area/cortical_area_name_list", "GET")
async def cortical_area_name_list(request: Request) -> Response:
    names = await _access(request).call(
        lambda brain: [area.name for area in brain.connectome.areas.values()])
    return JSONResponse({"cortical_area_name_list": names})


@_route("/v1/cortical_area/cortical_area_properties", "POST")
async def cortical_area_properties(request: Request) -> Response:
    access = _access(request)
    given = (await _json_object(request)).get("cortical_id")
    run = await access.run_state()

    def read(brain: Brain) -> dict[str, Any]:
        local, ids = _resolve(brain, given)
        return views.area_properties(brain, local, ids, str(given), run)

    return JSONResponse(await access.call(read))


@_route("/v1/cortical_area/custom_cortical_area", "POST")
async def custom_cortical_area(request: Request) -> Response:
    body = await _model(request, _CustomArea)
    memory = (body.sub_group_id or "").upper() == "MEMORY"

    def create(brain: Brain) -> str:
        cortical_id = add_custom_area(
            brain,
            name=body.cortical_name,
            dimensions=body.cortical_dimensions,
            coordinates=body.coordinates_3d,
            coordinates_2d=Coordinate2D(*body.coordinates_2d) if body.coordinates_2d else None,
            sub_group=body.cortical_sub_group or "",
            memory=memory,
            region_id=body.brain_region_id,
        )
        return views.id_map(brain).to_api(cortical_id)

    api_id = await _access(request).call(create, mutates=True)
    return JSONResponse({
        "message": "Custom cortical area created successfully",
        "cortical_id": api_id,
        "cortical_name": body.cortical_name,
    })


@_route("/v1/cortical_area/cortical_area", "PUT")
async def update_cortical_area(request: Request) -> Response:
    body = await _json_object(request)
    given = body.get("cortical_id")

    def update(brain: Brain) -> str:
        local, ids = _resolve(brain, given)
        area = brain.connectome.area(local)
        region = brain.connectome.region_of_area(local) or brain.connectome.root_region_id
        apply_area_changes(brain, local, area_changes(area, body, region))
        return ids.to_api(local)

    api_id = await _access(request).call(update, mutates=True)
    return JSONResponse({
        "message": "Cortical area updated",
        "previous_cortical_id": api_id,
        "cortical_id": api_id,
    })


@_route("/v1/cortical_area/cortical_area", "DELETE")
async def delete_cortical_area(request: Request) -> Response:
    given = (await _json_object(request)).get("cortical_id")

    def delete(brain: Brain) -> None:
        local, _ = _resolve(brain, given)
        brain.remove_area(local)

    await _access(request).call(delete, mutates=True)
    return JSONResponse({"message": "Cortical area deleted"})


# --------------------------------------------------------------------------- burst engine


@_route("/v1/burst_engine/burst_counter", "GET")
async def burst_counter(request: Request) -> Response:
    return JSONResponse(await _access(request).call(lambda brain: brain.burst_count))


@_route("/v1/burst_engine/simulation_timestep", "GET")
async def get_simulation_timestep(request: Request) -> Response:
    run = await _access(request).run_state()
    return JSONResponse(1.0 / run.frequency_hz if run.frequency_hz > 0 else 0.0)


@_route("/v1/burst_engine/simulation_timestep", "POST")
async def set_simulation_timestep(request: Request) -> Response:
    step = (await _model(request, _Timestep)).simulation_timestep
    if not (math.isfinite(step) and step > 0):
        raise FeagiError(400, f"simulation_timestep must be finite and > 0 seconds, got {step}")
    await _access(request).set_frequency(1.0 / step)
    return JSONResponse({"message": f"Timestep set to {step}"})


@_route("/v1/burst_engine/stats", "GET")
async def burst_engine_stats(request: Request) -> Response:
    run = await _access(request).run_state()
    return JSONResponse({
        "frequency_hz": run.frequency_hz,
        "paused": run.paused,
        "burst_count": run.burst_count,
        "active": run.running,
    })


@_route("/v1/burst_engine/start", "POST")
async def burst_engine_start(request: Request) -> Response:
    await _access(request).start()
    return JSONResponse({"message": "Burst engine started successfully"})


@_route("/v1/burst_engine/stop", "POST")
async def burst_engine_stop(request: Request) -> Response:
    await _access(request).stop()
    return JSONResponse({"message": "Burst engine stopped successfully"})


@_route("/v1/burst_engine/fire_queue", "GET")
async def fire_queue(request: Request) -> Response:
    return JSONResponse(
        await _access(request).call(lambda brain: views.fire_queue(brain, views.id_map(brain))))


# --------------------------------------------------------------------------- agent


@_route("/v1/agent/manual_stimulation", "POST")
async def manual_stimulation(request: Request) -> Response:
    payload = (await _model(request, _Stimulation)).stimulation_payload

    def stimulate(brain: Brain) -> dict[str, Any]:
        ids = views.id_map(brain)
        failed: list[str] = []
        requested = matched = neurons = found = 0
        for given, coordinates in payload.items():
            requested += len(coordinates)
            local = ids.to_local(given)
            if local is None:
                failed.append(given)
                continue
            found += 1
            area = brain.connectome.area(local)
            inside = [c for c in coordinates
                      if all(0 <= c[axis] < area.dimensions[axis] for axis in range(3))]
            voxels = sorted(set(inside))
            matched += len(inside)
            per_voxel = 0 if area.is_memory else area.neurons_per_voxel
            if voxels and per_voxel:
                brain.stimulate(local, [list(v) for v in voxels])
                neurons += len(voxels) * per_voxel
        answer: dict[str, Any] = {
            "success": not failed and matched == requested,
            "total_coordinates": matched,
            "requested_coordinates": requested,
            "matched_coordinates": matched,
            "unique_neuron_ids": neurons,
            "mode": "force_fire",
            "successful_areas": found,
            "failed_areas": failed,
        }
        if failed:
            answer["error"] = f"Some cortical areas not found: {json.dumps(failed)}"
        return answer

    return JSONResponse(await _access(request).call(stimulate))


# --------------------------------------------------------------------------- mappings


async def _mapping_neighbours(
        request: Request, pick: Callable[[Brain, str, CorticalIdMap], list[str]]) -> Response:
    body = await _json_object(request)
    given = body.get("cortical_area", body.get("cortical_id"))

    def read(brain: Brain) -> list[str]:
        local, ids = _resolve(brain, given, "cortical_area")
        return pick(brain, local, ids)

    return JSONResponse(await _access(request).call(read))


@_route("/v1/cortical_mapping/afferents", "POST")
async def afferents(request: Request) -> Response:
    return await _mapping_neighbours(request, views.afferents)


@_route("/v1/cortical_mapping/efferents", "POST")
async def efferents(request: Request) -> Response:
    return await _mapping_neighbours(request, views.efferents)


# --------------------------------------------------------------------------- morphologies


@_route("/v1/morphology/morphology_list", "GET")
async def morphology_list(request: Request) -> Response:
    names = await _access(request).call(lambda brain: sorted(brain.connectome.morphologies))
    return JSONResponse({"morphology_list": names})


# --------------------------------------------------------------------------- connectome


@_route("/v1/connectome/stats", "GET")
async def connectome_stats(request: Request) -> Response:
    return JSONResponse(await _access(request).call(views.connectome_stats))


def _neuron_id(text: str | None) -> int:
    if text is None or text == "":
        raise FeagiError(400, "neuron_id required")
    if not text.isdigit() or len(text) > 19:
        raise FeagiError(400, f"neuron_id must be a non-negative integer, got {text!r}")
    return int(text)


async def _neuron(request: Request, neuron_id: int) -> Response:
    def read(brain: Brain) -> dict[str, Any]:
        if neuron_id >= brain.connectome.neuron_count:
            raise FeagiError(404, f"Neuron '{neuron_id}' not found")
        return views.neuron_properties(brain, neuron_id)

    return JSONResponse(await _access(request).call(read))


@_route("/v1/connectome/neuron_properties", "GET")
async def neuron_properties(request: Request) -> Response:
    return await _neuron(request, _neuron_id(request.query_params.get("neuron_id")))


@_route("/v1/connectome/neuron/{neuron_id}/properties", "GET")
async def neuron_properties_by_path(request: Request) -> Response:
    return await _neuron(request, _neuron_id(request.path_params["neuron_id"]))


routes: list[Route] = [
    health_check,
    genome_upload,
    genome_download,
    cortical_area_id_list,
    cortical_area_name_list,
    cortical_area_properties,
    custom_cortical_area,
    update_cortical_area,
    delete_cortical_area,
    burst_counter,
    get_simulation_timestep,
    set_simulation_timestep,
    burst_engine_stats,
    burst_engine_start,
    burst_engine_stop,
    fire_queue,
    manual_stimulation,
    afferents,
    efferents,
    morphology_list,
    connectome_stats,
    neuron_properties,
    neuron_properties_by_path,
]

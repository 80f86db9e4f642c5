"""Metadata, ``physiology`` and ``brain_regions`` of a genome."""

from __future__ import annotations

from typing import Any, cast

from brains.genome.area_parser import AreaSource
from brains.genome.collector import SectionParser
from brains.genome.errors import ErrorKind
from brains.genome.model import (
    BrainRegion,
    JsonObject,
    JsonValue,
    Physiology,
)
from brains.genome.paths import ROOT, child
from brains.genome.values import as_float, as_int, is_number

SUPPORTED_VERSIONS = ("2.0", "2.1")
"""Versions we read; any other ``2.x`` is read as 2.1 (feagi-core accepts every 2.x)."""

_REGION_KEYS = frozenset(
    {
        "title",
        "description",
        "parent_region_id",
        "coordinate_2d",
        "coordinate_3d",
        "areas",
        "regions",
        "inputs",
        "outputs",
    }
)


class MetadataParser(SectionParser):
    """Parses the version, metadata, ``physiology`` and ``brain_regions`` sections."""

    def parse_version(self, doc: dict[str, Any]) -> str:
        version = doc.get("version")
        if version is None:
            self.error(ROOT, ErrorKind.MISSING_KEY, "missing key 'version' (e.g. \"2.0\")")
            return SUPPORTED_VERSIONS[0]
        if not isinstance(version, str):
            self.error("$.version", ErrorKind.WRONG_TYPE, "'version' must be a string like \"2.0\"")
            return SUPPORTED_VERSIONS[0]
        major, _, minor = version.partition(".")
        if major != "2" or not minor.isdigit():
            self.error(
                "$.version",
                ErrorKind.UNSUPPORTED_VERSION,
                f"genome version {version!r} is not supported; expected 2.x (2.0 or 2.1)",
            )
        return version

    def optional_str(
        self, obj: dict[str, Any], key: str, path: str, default: str, *, nullable: bool = False
    ) -> str:
        value = obj.get(key)
        if value is None:
            if key in obj and not nullable:
                self.error(child(path, key), ErrorKind.WRONG_TYPE, f"'{key}' must be a string")
            return default
        if not isinstance(value, str):
            self.error(child(path, key), ErrorKind.WRONG_TYPE, f"'{key}' must be a string")
            return default
        return value

    def optional_object(self, obj: dict[str, Any], key: str, path: str) -> JsonObject | None:
        value = obj.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.error(child(path, key), ErrorKind.WRONG_TYPE, f"'{key}' must be an object")
            return None
        return value

    def parse_timestamp(self, doc: dict[str, Any]) -> float | None:
        value = doc.get("timestamp")
        if value is None:
            return None
        if not is_number(value):
            self.error("$.timestamp", ErrorKind.WRONG_TYPE, "'timestamp' must be a number")
            return None
        return float(value)

    def parse_signatures(self, doc: dict[str, Any]) -> dict[str, str] | None:
        value = self.optional_object(doc, "signatures", ROOT)
        if value is None:
            return None
        for key, item in value.items():
            if not isinstance(item, str):
                self.error(
                    child("$.signatures", key), ErrorKind.WRONG_TYPE, "a signature must be a string"
                )
        return {key: item for key, item in value.items() if isinstance(item, str)}

    def parse_physiology(self, doc: dict[str, Any]) -> Physiology:
        raw = self.optional_object(doc, "physiology", ROOT)
        if raw is None:
            return Physiology()
        path = "$.physiology"
        defaults = Physiology()
        values: dict[str, Any] = {}
        timestep_keys = [key for key in ("simulation_timestep", "burst_delay") if key in raw]
        timestep = defaults.simulation_timestep
        for key in timestep_keys:
            seconds = as_float(raw[key])
            if seconds is None or seconds <= 0:
                self.error(
                    child(path, key),
                    ErrorKind.OUT_OF_RANGE,
                    f"{key} must be a number of seconds > 0",
                )
            else:
                timestep = seconds
        if len(timestep_keys) == 2 and raw["simulation_timestep"] != raw["burst_delay"]:
            self.error(
                child(path, "burst_delay"),
                ErrorKind.CONFLICTING_GENES,
                "burst_delay and simulation_timestep are both given and differ",
            )
        values["simulation_timestep"] = timestep
        for int_key, minimum in (
            ("max_age", 0),
            ("evolution_burst_count", 0),
            ("ipu_idle_threshold", 0),
            ("plasticity_queue_depth", 1),
            ("lifespan_mgmt_interval", 1),
        ):
            if int_key in raw:
                value = as_int(raw[int_key])
                if value is None or value < minimum:
                    self.error(
                        child(path, int_key),
                        ErrorKind.OUT_OF_RANGE,
                        f"{int_key} must be an integer >= {minimum}",
                    )
                else:
                    values[int_key] = value
        if "quantization_precision" in raw:
            precision = raw["quantization_precision"]
            if not isinstance(precision, str):
                self.error(
                    child(path, "quantization_precision"),
                    ErrorKind.WRONG_TYPE,
                    "quantization_precision must be a string",
                )
            else:
                values["quantization_precision"] = precision
        known = {"simulation_timestep", "burst_delay", "quantization_precision", *values}
        extra = {key: value for key, value in raw.items() if key not in known}
        return Physiology(**values, extra=extra)

    def parse_regions(
        self, doc: dict[str, Any], sources: dict[str, AreaSource]
    ) -> dict[str, BrainRegion] | None:
        raw = self.optional_object(doc, "brain_regions", ROOT)
        if raw is None:
            return None
        regions: dict[str, BrainRegion] = {}
        for region_id, body in raw.items():
            path = child("$.brain_regions", region_id)
            if not isinstance(body, dict):
                self.error(path, ErrorKind.WRONG_TYPE, "a brain region must be an object")
                continue
            region = self.parse_region(region_id, body, path, sources)
            if region is not None:
                regions[region_id] = region
        for region_id, region in regions.items():
            path = child("$.brain_regions", region_id)
            if region.parent_region_id is not None and region.parent_region_id not in raw:
                self.error(
                    child(path, "parent_region_id"),
                    ErrorKind.MISSING_REGION,
                    f"parent region {region.parent_region_id!r} does not exist",
                )
            for index, sub in enumerate(region.regions):
                if sub not in raw:
                    self.error(
                        child(child(path, "regions"), index),
                        ErrorKind.MISSING_REGION,
                        f"region {sub!r} does not exist",
                    )
        return regions

    def parse_region(
        self, region_id: str, body: dict[str, Any], path: str, sources: dict[str, AreaSource]
    ) -> BrainRegion | None:
        errors_before = len(self.errors)
        title = self.optional_str(body, "title", path, "")
        description = body.get("description")
        if description is not None and not isinstance(description, str):
            self.error(
                child(path, "description"),
                ErrorKind.WRONG_TYPE,
                "description must be a string or null",
            )
        parent = body.get("parent_region_id")
        if parent is not None and not isinstance(parent, str):
            self.error(
                child(path, "parent_region_id"),
                ErrorKind.WRONG_TYPE,
                "parent_region_id must be a string or null",
            )

        def int_list(key: str, default: tuple[int, ...]) -> tuple[int, ...]:
            if key not in body:
                return default
            value = body[key]
            if not isinstance(value, list) or any(as_int(v) is None for v in value):
                self.error(
                    child(path, key), ErrorKind.WRONG_TYPE, f"{key} must be a list of integers"
                )
                return default
            return tuple(cast(int, as_int(v)) for v in value)

        def str_list(key: str) -> tuple[str, ...]:
            value = body.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                self.error(
                    child(path, key), ErrorKind.WRONG_TYPE, f"{key} must be a list of strings"
                )
                return ()
            return tuple(value)

        def any_list(key: str) -> tuple[JsonValue, ...]:
            value = body.get(key, [])
            if not isinstance(value, list):
                self.error(child(path, key), ErrorKind.WRONG_TYPE, f"{key} must be a list")
                return ()
            return tuple(value)

        coordinate_2d = int_list("coordinate_2d", (0, 0))
        coordinate_3d = int_list("coordinate_3d", (0, 0, 0))
        areas = str_list("areas")
        for index, area_id in enumerate(areas):
            if area_id not in sources:
                self.error(
                    child(child(path, "areas"), index),
                    ErrorKind.MISSING_AREA,
                    f"region {region_id!r} lists area {area_id!r}, which is not in the blueprint",
                )
        sub_regions = str_list("regions")
        inputs = any_list("inputs")
        outputs = any_list("outputs")
        if len(self.errors) > errors_before:
            return None
        return BrainRegion(
            region_id=region_id,
            title=title,
            description=description,
            parent_region_id=parent,
            coordinate_2d=coordinate_2d,
            coordinate_3d=coordinate_3d,
            areas=areas,
            regions=sub_regions,
            inputs=inputs,
            outputs=outputs,
            extra={key: value for key, value in body.items() if key not in _REGION_KEYS},
        )

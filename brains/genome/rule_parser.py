"""Cortical mapping rules: 4-, 7-, 8- and 9-element lists and dict rules -> MappingRule."""

from __future__ import annotations

from typing import Any, cast

from brains.genome.collector import SectionParser
from brains.genome.errors import ErrorKind
from brains.genome.model import (
    MappingRule,
    Vec3,
)
from brains.genome.paths import child
from brains.genome.values import as_int, as_vec3, describe, is_number

LIST_RULE_LENGTHS = (4, 7, 8, 9)
LIST_RULE_FIELDS = (
    "morphology_id",
    "morphology_scalar",
    "postSynapticCurrent_multiplier",
    "plasticity_flag",
    "plasticity_constant",
    "ltp_multiplier",
    "ltd_multiplier",
    "plasticity_window",
    "synaptic_delay_bursts",
)
DICT_RULE_KEYS = frozenset({*LIST_RULE_FIELDS, "synapse_attractivity"})


class RuleParser(SectionParser):
    """Parses one rule at a time; the caller checks destinations and morphologies exist."""

    def parse_rule(self, rule: object, path: str) -> MappingRule | None:
        if isinstance(rule, list):
            return self.parse_list_rule(rule, path)
        if isinstance(rule, dict):
            return self.parse_dict_rule(rule, path)
        self.error(path, ErrorKind.WRONG_TYPE, "a mapping rule must be a list or an object")
        return None

    def parse_list_rule(self, rule: list[Any], path: str) -> MappingRule | None:
        if len(rule) not in LIST_RULE_LENGTHS:
            self.error(
                path,
                ErrorKind.BAD_RULE_ARITY,
                f"a mapping rule list has {len(rule)} elements; expected 4, 7, 8 or 9 "
                "[morphology_id, scalar, psc_multiplier, plasticity_flag(, plasticity_constant, "
                "ltp_multiplier, ltd_multiplier(, plasticity_window(, synaptic_delay_bursts)))]",
            )
            return None
        fields = {
            name: (value, child(path, index))
            for index, (name, value) in enumerate(zip(LIST_RULE_FIELDS, rule, strict=False))
        }
        return self.build_rule(fields, path)

    def parse_dict_rule(self, rule: dict[str, Any], path: str) -> MappingRule | None:
        fields: dict[str, tuple[object, str]] = {}
        ok = True
        for key, value in rule.items():
            if key not in DICT_RULE_KEYS:
                self.error(
                    child(path, key), ErrorKind.UNKNOWN_KEY, f"unknown mapping rule key {key!r}"
                )
                ok = False
            else:
                fields[key] = (value, child(path, key))
        if "morphology_id" not in fields:
            self.error(path, ErrorKind.MISSING_KEY, "mapping rule has no 'morphology_id'")
            return None
        rule_result = self.build_rule(fields, path)
        return rule_result if ok else None

    def build_rule(self, fields: dict[str, tuple[object, str]], path: str) -> MappingRule | None:
        errors_before = len(self.errors)

        def number(key: str, default: float) -> float:
            if key not in fields:
                return default
            value, at = fields[key]
            if not is_number(value):
                self.error(
                    at, ErrorKind.WRONG_TYPE, f"{key} must be a number, not {describe(value)}"
                )
                return default
            return float(cast(float, value))

        morphology_id, at = fields["morphology_id"]
        if not isinstance(morphology_id, str) or not morphology_id:
            self.error(at, ErrorKind.WRONG_TYPE, "morphology_id must be a non-empty string")
        scalar = Vec3(1, 1, 1)
        if "morphology_scalar" in fields:
            raw_scalar, at = fields["morphology_scalar"]
            # feagi-core also writes a single integer scaling every axis.
            uniform = as_int(raw_scalar)
            parsed_scalar = Vec3(uniform, uniform, uniform) if uniform is not None else None
            parsed_scalar = parsed_scalar or as_vec3(raw_scalar)
            if parsed_scalar is None:
                self.error(
                    at,
                    ErrorKind.WRONG_TYPE,
                    "morphology_scalar must be a list of 3 integers (or one integer), not "
                    + describe(raw_scalar),
                )
            else:
                scalar = parsed_scalar
        psc = number("postSynapticCurrent_multiplier", 1.0)
        plastic = False
        if "plasticity_flag" in fields:
            raw_flag, at = fields["plasticity_flag"]
            if isinstance(raw_flag, bool):
                plastic = raw_flag
            else:
                self.error(
                    at,
                    ErrorKind.WRONG_TYPE,
                    f"plasticity_flag must be true or false, not {describe(raw_flag)}",
                )
        constant = number("plasticity_constant", 1.0)
        ltp = number("ltp_multiplier", 1.0)
        ltd = number("ltd_multiplier", 1.0)
        window: int | None = None
        if "plasticity_window" in fields:
            raw_window, at = fields["plasticity_window"]
            if raw_window is not None:
                window = as_int(raw_window)
                if window is None or window < 0:
                    self.error(
                        at,
                        ErrorKind.WRONG_TYPE,
                        "plasticity_window must be an integer >= 0 or null, not "
                        + describe(raw_window),
                    )
                    window = None
        delay: int | None = None
        if "synaptic_delay_bursts" in fields:
            raw_delay, at = fields["synaptic_delay_bursts"]
            if raw_delay is not None:
                delay = as_int(raw_delay)
                if delay is None or delay < 1:
                    self.error(
                        at,
                        ErrorKind.WRONG_TYPE,
                        "synaptic_delay_bursts must be an integer >= 1 or null, not "
                        + describe(raw_delay),
                    )
                    delay = None
        attractivity: float | None = None
        if "synapse_attractivity" in fields:
            raw_attr, at = fields["synapse_attractivity"]
            if raw_attr is not None:
                if not is_number(raw_attr) or not 0 <= float(cast(float, raw_attr)) <= 100:
                    self.error(
                        at,
                        ErrorKind.OUT_OF_RANGE,
                        "synapse_attractivity must be a number in 0..100",
                    )
                else:
                    attractivity = float(cast(float, raw_attr))
        if len(self.errors) > errors_before:
            return None
        return MappingRule(
            morphology_id=cast(str, morphology_id),
            morphology_scalar=scalar,
            psc_multiplier=psc,
            plasticity_flag=plastic,
            plasticity_constant=constant,
            ltp_multiplier=ltp,
            ltd_multiplier=ltd,
            plasticity_window=window,
            synapse_attractivity=attractivity,
            synaptic_delay_bursts=delay,
        )

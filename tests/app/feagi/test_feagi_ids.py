"""Genome cortical ids map to the engine's base64 ids, one to one."""

from __future__ import annotations

import base64
import string

from feagi_support import ESSENTIAL_PATH, REFERENCE
from hypothesis import given
from hypothesis import strategies as st

from app.feagi import CorticalIdMap, encode_id, feagi_id_bytes, hash_key, new_key, redact_path
from brains.brain import Brain
from brains.genome import load_genome

# Genome id -> engine id, measured on feagi-core 0.0.67 (reference/, feagi-counts.md).
MEASURED = {
    "_power": "X19fcG93ZXI=",
    "___pwr": "X19fcG93ZXI=",
    "_death": "X19fZGVhdGg=",
    "c__for": "Y19fZm9yX18=",
    "cKQM2_": "Y0tRTTJfX18=",
    "omot00": "b21vdAUAAAA=",
    "o__mot": "b21vdAUAAAA=",
    "ogaz00": "b2dhegIAAAA=",
    "iic000": "aXN2aQkAAAA=",
    "iic400": "aXN2aUkAAAA=",
    "iic800": "aXN2aYkAAAA=",
    "iv00BL": "aXN2aQkAAAA=",
    "iv00_C": "aXN2aUkAAAA=",
    "iv00TR": "aXN2aYkAAAA=",
}


def test_measured_ids_encode_as_the_engine_does() -> None:
    for genome_id, engine_id in MEASURED.items():
        raw = feagi_id_bytes(genome_id)
        assert raw is not None and encode_id(raw) == engine_id, genome_id


def test_the_essential_genome_has_the_engines_id_list() -> None:
    brain = Brain.develop(load_genome(ESSENTIAL_PATH.read_bytes()))
    ours = set(CorticalIdMap(brain.connectome.area_ids).api_ids.values())
    assert ours == set(REFERENCE["cortical_area_id_list"]["response"]["cortical_ids"])


def test_v2_custom_and_memory_ids_start_lower_case() -> None:
    assert feagi_id_bytes("Cabcde") == b"cabcde__"
    assert feagi_id_bytes("Mmem01") == b"mmem01__"


def test_ids_the_engine_cannot_hold_get_a_hashed_id() -> None:
    ids = CorticalIdMap(["much_too_long_id", "c__for"])
    api = ids.to_api("much_too_long_id")
    assert len(base64.b64decode(api)) == 8
    assert ids.to_local(api) == "much_too_long_id"


def test_an_area_is_found_by_base64_8_byte_and_genome_id() -> None:
    ids = CorticalIdMap(["_power", "c__for"])
    assert {ids.to_local(x) for x in ("X19fcG93ZXI=", "___power", "_power")} == {"_power"}
    assert ids.to_local("bm9wZV9fX18=") is None
    assert ids.to_local("") is None


genome_ids = st.text(alphabet=string.ascii_letters + string.digits + "_", min_size=6,
                     max_size=6)


@given(st.lists(genome_ids, min_size=1, max_size=40, unique=True))
def test_the_mapping_is_one_to_one(cortical_ids: list[str]) -> None:
    ids = CorticalIdMap(cortical_ids)
    api = [ids.to_api(cid) for cid in cortical_ids]
    assert len(set(api)) == len(cortical_ids)
    assert all(len(base64.b64decode(a)) == 8 for a in api)
    assert [ids.to_local(a) for a in api] == cortical_ids


def test_keys_are_random_and_only_their_hash_is_kept() -> None:
    first, second = new_key(), new_key()
    assert first != second and first.startswith("fk_") and len(first) > 40
    assert hash_key(first) == hash_key(first) != hash_key(second)
    assert len(hash_key(first)) == 32
    assert hash_key("x" * 10_000) != hash_key("x" * 128)


def test_keys_are_redacted_from_paths() -> None:
    assert redact_path("/feagi/fk_secret/v1/system/health_check") == (
        "/feagi/***/v1/system/health_check")
    assert redact_path("/api/feagi/fk_secret/v1/x") == "/api/feagi/***/v1/x"
    assert redact_path("/v1/health") == "/v1/health"

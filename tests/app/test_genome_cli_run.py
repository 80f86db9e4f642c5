"""`brainhost genome stats` and `genome run`: the exact output forms users rely on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shared_data import real_genome_path

from app.cli import main

ESSENTIAL = str(real_genome_path("feagi_core_essential_genome_v2_1.json"))


def test_stats_json_has_totals_and_per_area_counts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["genome", "stats", ESSENTIAL, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"cortical_areas", "neurons", "synapses", "develop_seconds", "areas"}
    assert (report["cortical_areas"], report["neurons"], report["synapses"]) == (30, 55_363, 1_552)
    assert report["areas"]["iic100"] == {"neurons": 768, "synapses_out": 768}
    assert sum(area["synapses_out"] for area in report["areas"].values()) == 1_552


def test_stats_text_lists_every_area(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["genome", "stats", ESSENTIAL]) == 0
    out = capsys.readouterr().out
    assert out.startswith("30 cortical areas, 55363 neurons, 1552 synapses")
    assert "iic100" in out and "_power" in out


def test_run_json_reports_throughput_and_the_first_bursts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["genome", "run", ESSENTIAL, "--bursts", "40", "--stimulate", "iic100", "--json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {
        "bursts",
        "seconds",
        "bursts_per_s",
        "synaptic_events",
        "synaptic_events_per_s",
        "fired_last_burst",
        "fired_by_burst",
    }
    assert report["bursts"] == 40
    assert len(report["fired_by_burst"]) == 16
    assert report["fired_by_burst"][0] == {"_power": 1, "iic100": 768}
    assert report["fired_by_burst"][3] == {"_power": 1, "omot00": 4}
    assert report["fired_last_burst"] == 1
    # vision -> backward (768), backward -> four M*_BW (4), four M*_BW -> motor (4)
    assert report["synaptic_events"] == 768 + 4 + 4


def test_run_is_deterministic_for_a_seed(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["genome", "run", ESSENTIAL, "--bursts", "20", "--stimulate", "iic100", "--json"]
    main([*args, "--seed", "7"])
    first = json.loads(capsys.readouterr().out)
    main([*args, "--seed", "7"])
    second = json.loads(capsys.readouterr().out)
    assert first["fired_by_burst"] == second["fired_by_burst"]
    assert first["synaptic_events"] == second["synaptic_events"]


def test_run_refuses_an_unknown_area_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["genome", "run", ESSENTIAL, "--bursts", "5", "--stimulate", "nope"]) == 1
    assert "--stimulate nope: no such cortical area" in capsys.readouterr().err


def test_run_refuses_an_invalid_genome_listing_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": "2.0", "blueprint": {"x": 1}}')
    assert main(["genome", "run", str(bad), "--bursts", "5"]) == 1
    assert "$.blueprint.x" in capsys.readouterr().err


def test_run_needs_a_positive_burst_count() -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["genome", "run", ESSENTIAL, "--bursts", "0"])
    assert exit_info.value.code == 2

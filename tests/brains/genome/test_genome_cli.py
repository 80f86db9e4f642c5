"""``brainhost genome validate FILE``: exit 0 when valid, else 1 and every error listed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from genome_builders import PROJECT_ROOT, real_genome_path, two_area_doc

from app.commands.genome import main


def write(tmp_path: Path, document: object) -> str:
    path = tmp_path / "genome.json"
    path.write_text(json.dumps(document))
    return str(path)


def test_a_valid_genome_exits_0_with_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(real_genome_path("feagi_essential_genome.json"))
    assert main(["genome", "validate", path]) == 0
    assert capsys.readouterr().out == (
        f"{path}: valid genome (version 2.0, 23 cortical areas, 13845 neurons, 56 morphologies)\n"
    )


def test_an_invalid_genome_exits_1_listing_every_error_one_per_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = two_area_doc()
    document["blueprint"]["_____10c-src___-cx-___bbx-i"] = 0
    document["blueprint"]["_____10c-dst___-cx-dstmap-d"] = {
        "gone__": [["projector", [1, 1, 1], 1, False]]
    }
    path = write(tmp_path, document)
    assert main(["genome", "validate", path]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        '$.blueprint["_____10c-src___-cx-___bbx-i"]: block_boundaries[0] is 0; it must be >= 1 '
        "[non_positive_dimension]",
        "$.blueprint[\"_____10c-dst___-cx-dstmap-d\"].gone__: area 'dst___' maps to 'gone__', "
        "which is not in the blueprint [missing_area]",
    ]
    assert captured.err == f"{path}: invalid genome (2 errors)\n"


def test_a_missing_file_exits_1_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.json"
    assert main(["genome", "validate", str(missing)]) == 1
    assert capsys.readouterr().err == (
        f"brainhost genome validate: cannot read {missing}: No such file or directory\n"
    )


def test_a_directory_is_not_readable_as_a_genome(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["genome", "validate", str(tmp_path)]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_invalid_json_exits_1_naming_the_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"version": "2.0",\n')
    assert main(["genome", "validate", str(path)]) == 1
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("$: invalid JSON at line 2")


def test_the_file_size_limit_is_an_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, two_area_doc())
    size = Path(path).stat().st_size
    assert main(["genome", "validate", "--max-file-bytes", "100", path]) == 1
    (line,) = capsys.readouterr().out.splitlines()
    assert line == f"$: genome is {size} bytes; the limit is 100 bytes [file_too_large]"


def test_the_neuron_limit_is_an_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, two_area_doc())
    assert main(["genome", "validate", "--max-neurons", "7", path]) == 1
    assert "the limit is 7 [limit_exceeded]" in capsys.readouterr().out


def test_validate_runs_as_a_process() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.commands.genome",
            "genome",
            "validate",
            "/nonexistent/genome.json",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "cannot read /nonexistent/genome.json" in result.stderr


def test_genome_requires_a_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["genome"])
    assert exited.value.code == 2

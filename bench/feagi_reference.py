"""Start the real FEAGI engine (../shared/tools/feagi-reference/run_feagi.sh) for same-run
comparisons, and talk to its REST API. Benchmarks skip FEAGI rows when it is not available."""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["FeagiEngine", "feagi_available", "run_feagi"]

SCRIPT = Path(__file__).resolve().parents[2] / "shared/tools/feagi-reference/run_feagi.sh"


def feagi_available() -> bool:
    """Whether the reference engine can be set up on this machine."""
    if not SCRIPT.exists():
        return False
    setup = subprocess.run(
        [str(SCRIPT), "--setup-only"], capture_output=True, text=True, timeout=300, check=False
    )
    return setup.returncode == 0


class FeagiEngine:
    """A running reference engine on loopback."""

    def __init__(self, port: int, workdir: Path) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.workdir = workdir

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.base + path, timeout=30) as response:
            return json.load(response)

    def post(self, path: str, body: Any) -> Any:
        request = urllib.request.Request(
            self.base + path,
            data=json.dumps(body).encode(),
            headers={"content-type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def cortical_id(self, name: str) -> str:
        """The engine's base64 id of the area called ``name`` (IPU/OPU ids are re-encoded by
        the engine, so the genome's 6-character id cannot simply be padded)."""
        for cortical_id in self.get("/v1/cortical_area/cortical_area_id_list")["cortical_ids"]:
            properties = self.post(
                "/v1/cortical_area/cortical_area_properties", {"cortical_id": cortical_id}
            )
            if properties.get("cortical_name") == name:
                return str(cortical_id)
        raise LookupError(f"the engine has no cortical area named {name!r}")

    def development_seconds(self) -> float | None:
        """What the engine logged for neuroembryogenesis, if it logged it."""
        log = (self.workdir / "feagi.log").read_text(errors="replace")
        found = re.search(r"Neuroembryogenesis completed in (\d+(?:\.\d+)?)ms", log)
        return float(found.group(1)) / 1000 if found else None

    def burst_rate(self, seconds: float) -> float:
        """Bursts per second over ``seconds`` of wall time."""
        first = self.get("/v1/burst_engine/burst_counter")
        started = time.perf_counter()
        time.sleep(seconds)
        last = self.get("/v1/burst_engine/burst_counter")
        return float(last - first) / (time.perf_counter() - started)


@contextmanager
def run_feagi(
    genome: dict[str, Any], *, port: int = 8190, burst_hz: float = 1000.0
) -> Iterator[FeagiEngine]:
    """Start the engine with ``genome`` (fp32, large synapse space); stop it afterwards."""
    with tempfile.TemporaryDirectory(prefix="feagi-bench-") as tmp:
        path = Path(tmp) / "bench.genome"  # the engine only accepts the .genome extension
        path.write_text(json.dumps(genome))
        workdir = Path(tmp) / "run"
        subprocess.run(
            [
                str(SCRIPT), "--port", str(port), "--genome", str(path),
                "--burst-hz", f"{burst_hz:g}", "--synapse-space", "2000000",
                "--neuron-space", "200000", "--log-level", "info",
                "--workdir", str(workdir), "--detach",
            ],
            capture_output=True, text=True, timeout=180, check=True,
        )
        pid = int((workdir / "feagi.pid").read_text())
        try:
            yield FeagiEngine(port, workdir)
        finally:
            subprocess.run(["kill", str(pid)], check=False)
            time.sleep(0.5)

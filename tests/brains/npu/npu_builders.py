"""Small NetworkSpecs for NPU tests and benchmarks, built by hand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from brains.npu.network import AreaTable, NetworkSpec, PlasticityGroupTable


@dataclass
class Area:
    cortical_id: str
    dims: tuple[int, int, int] = (1, 1, 1)
    npv: int = 1
    threshold: float = 1.0
    increment: tuple[float, float, float] = (0.0, 0.0, 0.0)
    threshold_limit: float = 0.0
    leak: float = 0.0
    leak_variability: float = 0.0
    refractory: int = 0
    fire_limit: int = 0
    snooze: int = 0
    accumulate: bool = False
    mp_driven: bool = False
    uniform: bool = True
    excitability: float = 1.0
    degeneration: float = 0.0
    psc_max: float = 99999.0
    power: bool = False
    sensory: bool = False
    motor: bool = False
    memory: bool = False

    @property
    def size(self) -> int:
        return 0 if self.memory else self.dims[0] * self.dims[1] * self.dims[2] * self.npv


@dataclass
class Group:
    source_area: int
    destination_area: int
    plastic: bool = False
    constant: float = 1.0
    ltp: float = 1.0
    ltd: float = 1.0
    window: int = 1


@dataclass
class Net:
    areas: list[Area]
    synapses: list[tuple[int, int, float, float, int]] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)

    def first(self, area: int) -> int:
        return sum(a.size for a in self.areas[:area])

    def spec(self) -> NetworkSpec:
        return build_spec(self.areas, self.synapses, self.groups)


def build_spec(
    areas: Sequence[Area],
    synapses: Sequence[tuple[int, int, float, float, int]],
    groups: Sequence[Group] = (),
) -> NetworkSpec:
    """Neurons are laid out area by area, voxel by voxel (x, y, z), ``npv`` per voxel."""
    neuron_area: list[int] = []
    xyz: list[tuple[int, int, int]] = []
    for i, a in enumerate(areas):
        if a.memory:
            continue
        for x in range(a.dims[0]):
            for y in range(a.dims[1]):
                for z in range(a.dims[2]):
                    for _ in range(a.npv):
                        neuron_area.append(i)
                        xyz.append((x, y, z))
    table = AreaTable(
        cortical_id=tuple(a.cortical_id for a in areas),
        dimensions=np.array([a.dims for a in areas], np.int32).reshape(-1, 3),
        neurons_per_voxel=np.array([a.npv for a in areas], np.int32),
        firing_threshold=np.array([a.threshold for a in areas], np.float32),
        threshold_increment=np.array([a.increment for a in areas], np.float32).reshape(-1, 3),
        threshold_limit=np.array([a.threshold_limit for a in areas], np.float32),
        leak_coefficient=np.array([a.leak for a in areas], np.float32),
        leak_variability=np.array([a.leak_variability for a in areas], np.float32),
        refractory_period=np.array([a.refractory for a in areas], np.uint16),
        consecutive_fire_limit=np.array([a.fire_limit for a in areas], np.uint16),
        snooze_length=np.array([a.snooze for a in areas], np.uint16),
        mp_charge_accumulation=np.array([a.accumulate for a in areas], bool),
        mp_driven_psp=np.array([a.mp_driven for a in areas], bool),
        psp_uniform_distribution=np.array([a.uniform for a in areas], bool),
        excitability=np.array([a.excitability for a in areas], np.float32),
        degeneration=np.array([a.degeneration for a in areas], np.float32),
        postsynaptic_current_max=np.array([a.psc_max for a in areas], np.float32),
        is_power=np.array([a.power for a in areas], bool),
        is_sensory=np.array([a.sensory for a in areas], bool),
        is_motor=np.array([a.motor for a in areas], bool),
        is_memory=np.array([a.memory for a in areas], bool),
    )
    gtable = PlasticityGroupTable(
        source_area=np.array([g.source_area for g in groups], np.uint32),
        destination_area=np.array([g.destination_area for g in groups], np.uint32),
        plastic=np.array([g.plastic for g in groups], bool),
        plasticity_constant=np.array([g.constant for g in groups], np.float32),
        ltp_multiplier=np.array([g.ltp for g in groups], np.float32),
        ltd_multiplier=np.array([g.ltd for g in groups], np.float32),
        plasticity_window=np.array([g.window for g in groups], np.uint16),
    )
    syn = np.array(synapses, np.float64).reshape(-1, 5)
    return NetworkSpec(
        areas=table,
        neuron_area=np.array(neuron_area, np.uint32),
        neuron_xyz=np.array(xyz, np.uint16).reshape(-1, 3),
        synapse_source=syn[:, 0].astype(np.uint32),
        synapse_target=syn[:, 1].astype(np.uint32),
        synapse_weight=syn[:, 2].astype(np.float32),
        synapse_psp=syn[:, 3].astype(np.float32),
        synapse_group=syn[:, 4].astype(np.uint16),
        groups=gtable,
    )


def chain(length: int, **area_options: object) -> Net:
    """``length`` single-neuron areas, each exciting the next with PSP 1 (group per link)."""
    areas = [Area(f"c{i:05d}", **area_options) for i in range(length)]  # type: ignore[arg-type]
    groups = [Group(i, i + 1) for i in range(length - 1)]
    synapses = [(i, i + 1, 1.0, 1.0, i) for i in range(length - 1)]
    return Net(areas, synapses, groups)

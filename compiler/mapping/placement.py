"""Weight duplication and placement of arrays onto cores, tiles and chips.

Each crossbar layer's copies occupy whole cores (a core runs one layer, as an ISAAC IMA
does); cores fill tiles and tiles fill chips in layer order. Layers that use the same
weight tensor (an unrolled RNN) share one set of arrays.

Duplication ``auto`` balances the layer pipeline inside the chips the model needs anyway:
it finds the smallest number of input-vector steps T such that giving every weight
set d = ceil(mvms / T) copies still fits, by bisection over T.

Copies only help with independent input vectors: an RNN's time steps run one after
another (``CrossbarWork.sequential``), so its copies are capped at mvms // sequential (the
batch) and its steps never drop below ``sequential``. This holds for ``auto`` and for a
fixed duplication.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
from imcsim.compiler.errors import MappingError
from imcsim.compiler.ir import Layer, Network
from imcsim.compiler.mapping.spec import ArraySpec
from imcsim.compiler.mapping.tiling import Tiling, tile


@dataclass(frozen=True, slots=True)
class LayerMapping:
    layer: str
    weight: str  # weight identity; the first layer using it owns the arrays
    owner: bool  # False when the arrays belong to an earlier layer with the same weight
    tiling: Tiling
    duplication: int
    arrays: int  # arrays this layer owns (copies × arrays per copy; 0 when sharing)
    utilization: float
    steps: int  # input-vector steps per copy per run: max(ceil(mvms / dup), sequential)
    cores: tuple[tuple[int, int, int], ...] = ()  # (chip, tile, core) of each core used


@dataclass
class Mapping:
    spec: ArraySpec
    layers: dict[str, LayerMapping]
    chips: int
    cores_used: int
    duplication_mode: str
    # what is derived from the mapping alone, kept with it (a sweep prices one mapping
    # many times): the tile graph, imcsim.sim.workload's per-layer structure, …
    derived: dict[object, object] = field(default_factory=dict, repr=False, compare=False)

    @property
    def graph(self) -> nx.DiGraph:
        """Layers linked to the tiles holding them (built on first use)."""
        g = self.derived.get("graph")
        if g is None:
            net = self.derived.get("network")
            g = self.derived["graph"] = _graph(net, self) if net is not None else nx.DiGraph()
        return g  # type: ignore[return-value]

    @property
    def arrays(self) -> int:
        return sum(m.arrays for m in self.layers.values())

    @property
    def utilization(self) -> float:
        """Cells holding weights / cells allocated, over the whole model (all copies)."""
        used = sum(m.tiling.cells_used * m.duplication for m in self.layers.values() if m.owner)
        return used / max(1, self.arrays * self.spec.rows * self.spec.cols)

    @property
    def fits_one_chip(self) -> bool:
        return self.chips <= 1

    @functools.cached_property
    def tiles_used(self) -> int:
        """Tiles (chip, tile) holding a core of the model, at least 1 (computed once: a
        sweep prices one cached mapping many times)."""
        return max(1, len({(c[0], c[1]) for m in self.layers.values() for c in m.cores}))


def parse_duplication(value: str | int) -> str | int:
    """'auto', 'none' or a positive integer; raises MappingError otherwise."""
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isascii()
                                  and value.strip().isdigit()):  # not '²' or '٣'
        if isinstance(value, str) and len(value.strip()) > 9:
            raise MappingError(f"duplication {value.strip()[:20]}: too large; give at most "
                               "999,999,999 copies (or 'auto' / 'none')")
        n = int(value)
        if n < 1:
            raise MappingError(f"duplication {n}: must be ≥ 1 (or 'auto' / 'none')")
        return n
    if value in ("auto", "none"):
        return value
    raise MappingError(f"duplication '{value}': expected 'auto', 'none' or a positive integer")


def map_network(net: Network, spec: ArraySpec, duplication: str | int = "auto") -> Mapping:
    duplication = parse_duplication(duplication)
    layers = net.crossbar_layers()
    if not layers:
        raise MappingError(f"model '{net.name}' has no Conv/Gemm/MatMul/RNN layer to map to crossbars")
    owners: dict[str, Layer] = {}
    total_mvms: dict[str, int] = {}
    independent: dict[str, int] = {}  # input vectors that may run at the same time
    tilings: dict[str, Tiling] = {}
    for layer in layers:
        assert layer.crossbar is not None
        w = layer.crossbar.weight
        owners.setdefault(w, layer)
        total_mvms[w] = total_mvms.get(w, 0) + layer.crossbar.mvms
        independent[w] = independent.get(w, 0) + max(
            1, layer.crossbar.mvms // max(1, layer.crossbar.sequential))
        if w not in tilings:
            tilings[w] = tile(layer.crossbar, spec)
    weights = list(owners)
    per_copy = np.array([tilings[w].arrays for w in weights], dtype=np.int64)
    mvms = np.array([total_mvms[w] for w in weights], dtype=np.int64)
    cap = np.array([independent[w] for w in weights], dtype=np.int64)
    apc = spec.arrays_per_core
    base_cores = int(np.sum(-(-per_copy // apc)))
    chips = max(1, math.ceil(base_cores / spec.cores_per_chip))
    if duplication == "none":
        dup = np.ones_like(mvms)
    elif duplication == "auto":
        dup = _balance(per_copy, mvms, cap, apc, chips * spec.cores_per_chip)
    else:
        dup = np.minimum(int(duplication), cap)
    dup_of = dict(zip(weights, (int(d) for d in dup), strict=True))

    # placement: whole cores per layer, in layer order
    result: dict[str, LayerMapping] = {}
    core_index = 0
    for layer in layers:
        assert layer.crossbar is not None
        w = layer.crossbar.weight
        t, d = tilings[w], dup_of[w]
        owner = owners[w].name == layer.name
        cores: tuple[tuple[int, int, int], ...] = ()
        if owner:
            n_cores = math.ceil(t.arrays * d / apc)
            cores = tuple(_locate(core_index + i, spec) for i in range(n_cores))
            core_index += n_cores
        result[layer.name] = LayerMapping(
            layer=layer.name, weight=w, owner=owner, tiling=t, duplication=d,
            arrays=t.arrays * d if owner else 0, utilization=t.utilization(spec),
            steps=max(math.ceil(layer.crossbar.mvms / d), layer.crossbar.sequential),
            cores=cores,
        )
    chips = max(1, math.ceil(core_index / spec.cores_per_chip))
    mapping = Mapping(spec=spec, layers=result, chips=chips, cores_used=core_index,
                      duplication_mode=str(duplication))
    mapping.derived["network"] = net  # for the tile graph, built when first asked for
    return mapping


def _balance(per_copy: np.ndarray, mvms: np.ndarray, cap: np.ndarray, apc: int,
             core_budget: int) -> np.ndarray:
    """Copies per weight set (at most ``cap``) minimising max(ceil(mvms/d)) within
    ``core_budget`` cores.

    ``core_budget`` is whole chips of cores, at least the cores of one copy each, so the
    largest target (one copy each) always fits and the bisection needs no fallback.
    """

    def cores_for(target: int) -> tuple[int, np.ndarray]:
        d = np.clip(-(-mvms // target), 1, cap)
        return int(np.sum(-(-(per_copy * d) // apc))), d

    lo, hi = 1, int(mvms.max())
    while lo < hi:
        mid = (lo + hi) // 2
        if cores_for(mid)[0] <= core_budget:
            hi = mid
        else:
            lo = mid + 1
    return cores_for(lo)[1]


def _locate(core: int, spec: ArraySpec) -> tuple[int, int, int]:
    chip, rest = divmod(core, spec.cores_per_chip)
    tile_, core_in_tile = divmod(rest, spec.cores_per_tile)
    return chip, tile_, core_in_tile


def _graph(net: Network, mapping: Mapping) -> nx.DiGraph:
    """Layers and the tiles holding their arrays: layer→layer dataflow, layer→tile 'mapped'."""
    g = nx.DiGraph()
    for layer in net.layers():
        g.add_node(("layer", layer.name), kind="layer", op=layer.op)
    for u, v, data in net.graph.edges(data=True):
        g.add_edge(("layer", u), ("layer", v), kind="dataflow", tensor=data.get("tensor"))
    for m in mapping.layers.values():
        per_tile: dict[tuple[int, int], int] = {}
        for chip, tile_, _ in m.cores:
            per_tile[(chip, tile_)] = per_tile.get((chip, tile_), 0) + 1
        for (chip, tile_), n_cores in per_tile.items():
            g.add_node(("tile", chip, tile_), kind="tile", chip=chip)
            g.add_edge(("layer", m.layer), ("tile", chip, tile_), kind="mapped", cores=n_cores)
    return g

"""The workload record every simulator consumes: per layer its work, its time on its own,
its copies, where its arrays sit, and exactly which rows of each producer it reads.

Built once from the network, its mapping and the architecture (:func:`build_workload`);
the analytical pipeline (:mod:`imcsim.sim.analytical`) and the cycle-level simulator
(:mod:`imcsim.sim.cycle`) both read it, so neither re-derives timing from the mapping.

Rows are the pipeline's unit: a layer produces its output rows (H of an N×C×H×W tensor,
else one row) in order, batch item after batch item. An :class:`Edge` says which rows of
its producer a consumer's output row ``r`` reads:

- ``WINDOW`` (convolutions, pooling): rows ``max(0, r·stride − pad)`` up to
  ``r·stride − pad + window − 1`` (``window`` = d·(k − 1) + 1), clipped to the producer;
- ``ALL`` (Gemm, RNN, softmax, norms, attention matmuls): every row, held until used;
- ``STREAM`` (reductions such as global pooling): every row, each folded into running sums
  as it arrives, so none is held;
- ``ROWWISE`` (element-wise ops, data movement, views): the rows in proportion,
  ``floor(r·P/R)`` up to ``ceil((r + 1)·P/R) − 1`` for a producer of P rows and R own rows.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from imcsim.compiler.ir import DigitalKind, Layer, LayerKind, Network
from imcsim.compiler.mapping import Mapping


class Rule(IntEnum):
    WINDOW = 0
    ALL = 1
    ROWWISE = 2
    STREAM = 3  # a reduction: needs every row for its result, but folds each one in as it comes


_ALL_KINDS = (DigitalKind.SOFTMAX, DigitalKind.NORM, DigitalKind.MATMUL)


@dataclass(frozen=True, slots=True)
class Edge:
    """What a consumer reads of one producer (rows per batch item)."""

    producer: int  # index in Workload.layers
    rule: Rule
    rows: int  # the producer's rows per item (P)
    stride: int = 1
    window: int = 1
    pad: int = 0
    row_bytes: float = 0.0  # bytes of one producer row at the output precision
    chip_link: bool = False  # the rows cross the chip links (the first reader on its chip)

    @property
    def shape(self) -> tuple[Rule, int, int, int, int]:
        """What row indices depend on (not the producer, bytes or links): a cache key."""
        return self.rule, self.rows, self.stride, self.window, self.pad

    def need(self, r: int, own_rows: int) -> int:
        """Producer rows (per item) that must exist before output row ``r``: 1 … P."""
        p = self.rows
        if self.rule in (Rule.ALL, Rule.STREAM):
            return p
        if self.rule is Rule.WINDOW:
            return max(1, min(p, r * self.stride - self.pad + self.window))
        return max(1, min(p, -(-(r + 1) * p // own_rows)))

    def low(self, r: int, own_rows: int) -> int:
        """The first producer row output row ``r`` reads (rows below it are done with)."""
        p = self.rows
        if self.rule in (Rule.ALL, Rule.STREAM):
            return 0
        if self.rule is Rule.WINDOW:
            return max(0, min(p - 1, r * self.stride - self.pad))
        return min(p - 1, r * p // own_rows)

    def held_rows(self, own_rows: int) -> int:
        """Producer rows one output row holds at once (its window): the least buffer
        without which the consumer can never start a row (a stream holds one)."""
        if self.rule is Rule.STREAM:
            return 1
        return _held_rows(self.shape, own_rows)


@functools.lru_cache(maxsize=4096)
def _held_rows(shape: tuple[Rule, int, int, int, int], own_rows: int) -> int:
    edge = Edge(-1, *shape)
    return max(edge.need(r, own_rows) - edge.low(r, own_rows) for r in range(own_rows))


@dataclass(frozen=True, slots=True)
class LayerWork:
    name: str
    op: str
    crossbar: bool
    rows: int  # output rows per batch item
    copies: int  # weight copies (crossbar), 1 for digital layers
    tiles: int  # tiles holding its arrays (a digital layer: those of its producers, at most)
    group: int  # layers sharing arrays (weights reused) share a group: they never overlap
    inputs: tuple[Edge, ...]
    arrays: int = 0  # arrays its rows keep busy (every copy's; 0: a digital layer)
    # where it runs: global tile numbers (chip · tiles per chip + tile) of its cores; a
    # digital layer runs on its first producer's tiles (empty: not placed, e.g. a test)
    place: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Fabric:
    """The on-chip interconnect the cycle-level simulator shares between layers: each
    tile's bus (buffer to cores) and a mesh of routers between tiles (XY routing)."""

    tiles_per_chip: int
    tiles_per_router: int  # a concentrated mesh: this many tiles share a router
    noc_bytes_per_s: float  # one mesh link, one direction (0: no network modelled)
    hop_s: float  # a flit crossing one router and its link
    bus_bytes_per_s: float  # one tile's bus

    @property
    def routers(self) -> int:
        return -(-self.tiles_per_chip // self.tiles_per_router)

    @property
    def columns(self) -> int:
        """The mesh is as square as the routers allow."""
        return max(1, math.isqrt(self.routers - 1) + 1) if self.routers > 1 else 1

    @property
    def positions(self) -> int:
        """Router places of one chip's grid (the last row may be partly empty)."""
        return -(-self.routers // self.columns) * self.columns

    def mesh_links(self) -> int:
        """Directed links between neighbouring routers of one chip."""
        at = {self.router(t * self.tiles_per_router)[1:] for t in range(self.routers)}
        return sum((x + 1, y) in at for x, y in at) * 2 + sum((x, y + 1) in at for x, y in at) * 2

    def router(self, tile: int, columns: int = 0) -> tuple[int, int, int]:
        """(chip, x, y) of a global tile's router: routers fill the mesh row by row, every
        other row backwards (a snake), so tiles numbered in a row are neighbours — layers
        fill tiles in order, so a layer's consumer sits next to it."""
        cols = columns or self.columns
        chip, t = divmod(tile, self.tiles_per_chip)
        y, x = divmod(t // self.tiles_per_router, cols)
        return chip, (cols - 1 - x if y % 2 else x), y

    def route(self, src: int, dst: int) -> list[int]:
        """The directed mesh links (ids from 0, :attr:`positions` · 4 per chip) a transfer
        from tile ``src`` to tile ``dst`` on the same chip crosses: along x first, then
        along y — or y first from a partly filled last row, so the route only passes
        routers that exist."""
        cols, routers = self.columns, self.routers
        chip, x, y = self.router(src, cols)
        _, x1, y1 = self.router(dst, cols)
        base = chip * -(-routers // cols) * cols * 4
        links = []  # link id: (grid place y·columns + x) · 4 + direction
        last = (routers - 1) // cols
        for axis in ((1, 0) if y == last and routers % cols else (0, 1)):
            while (x, y)[axis] != (x1, y1)[axis]:  # direction 0/1: ±x, 2/3: ±y
                up = (x1, y1)[axis] > (x, y)[axis]
                links.append(base + (y * cols + x) * 4 + 2 * axis + (0 if up else 1))
                if axis == 0:
                    x += 1 if up else -1
                else:
                    y += 1 if up else -1
        return links


@dataclass(frozen=True, slots=True)
class Workload:
    layers: tuple[LayerWork, ...]  # topological order (the structure: fixed per mapping)
    times: tuple[float, ...]  # each layer's time for the whole run (every item) on its own
    batch: int
    buffer_bytes: int  # activation buffer per tile (0: none modelled)
    # of each time, receiving inputs from other chips at the links' full bandwidth
    link_times: tuple[float, ...] = ()
    link_bytes_per_s: float = 0.0  # all chip links together (0: no links modelled)
    fabric: Fabric | None = None  # the tile buses and the mesh (None: not modelled)
    bus_bytes: tuple[float, ...] = ()  # each crossbar layer's bytes over its tiles' buses
    # the digital unit each digital layer's time is spent on ('' none: a crossbar layer
    # or a view); layers on the same kind of unit share the chip's units of that kind
    units: tuple[str, ...] = ()


def out_rows(layer: Layer) -> int:
    """Rows a layer produces in order per batch item (the pipeline's unit of progress)."""
    if layer.crossbar is not None:
        return max(1, layer.crossbar.out_rows)
    return max(1, layer.out_shape[2]) if len(layer.out_shape) >= 4 else 1


def _first(value: object, default: int) -> int:
    return int(value[0]) if isinstance(value, Sequence) and value else default


def _edge(layer: Layer, producer: int, rows: int, row_bytes: float) -> Edge:
    """How ``layer`` reads a producer of ``rows`` rows."""
    if layer.kind in (LayerKind.GEMM, LayerKind.RNN):
        return Edge(producer, Rule.ALL, rows, row_bytes=row_bytes)
    d = layer.digital
    if d is not None and d.kind in _ALL_KINDS:
        return Edge(producer, Rule.ALL, rows, row_bytes=row_bytes)
    if d is not None and d.kind is DigitalKind.REDUCE:
        return Edge(producer, Rule.STREAM, rows, row_bytes=row_bytes)
    if layer.kind is LayerKind.CONV and layer.crossbar is not None:
        window = layer.crossbar.window_rows
    elif d is not None and d.kind is DigitalKind.POOL:
        kernel = layer.attr("kernel_shape")
        if not isinstance(kernel, Sequence) or not kernel:
            return Edge(producer, Rule.ALL, rows, row_bytes=row_bytes)
        window = _first(layer.attr("dilations"), 1) * (int(kernel[0]) - 1) + 1
    else:
        return Edge(producer, Rule.ROWWISE, rows, row_bytes=row_bytes)
    return Edge(producer, Rule.WINDOW, rows, stride=max(1, _first(layer.attr("strides"), 1)),
                window=max(1, window), pad=max(0, _first(layer.attr("pads"), 0)),
                row_bytes=row_bytes)


def build_workload(net: Network, mapping: Mapping, stage: dict[str, float], output_bits: int,
                   buffer_bytes: int, link_time: dict[str, float] | None = None,
                   link_bytes_per_s: float = 0.0, fabric: Fabric | None = None,
                   bus_bytes: dict[str, float] | None = None,
                   units: dict[str, str] | None = None) -> Workload:
    """The record of one run of the graph; ``stage``: each layer's time on its own, of
    which ``link_time`` receiving from other chips over links of ``link_bytes_per_s``
    together; ``bus_bytes`` each crossbar layer's traffic on its tiles' buses, ``units``
    the digital unit each digital layer runs on. Its structure (rows, edges, tiles,
    groups) depends on the network, the mapping and the output precision only: it is built
    once per mapping (a sweep prices one mapping many times) and only the times change."""
    shape = _structure(net, mapping, output_bits)
    links = tuple((link_time or {}).get(w.name, 0.0) for w in shape)
    return Workload(shape, tuple(stage[w.name] for w in shape), max(1, net.batch),
                    buffer_bytes, links, link_bytes_per_s, fabric,
                    tuple((bus_bytes or {}).get(w.name, 0.0) for w in shape),
                    tuple((units or {}).get(w.name, "") for w in shape))


def _structure(net: Network, mapping: Mapping, output_bits: int) -> tuple[LayerWork, ...]:
    """Every layer's record (kept with the mapping, per precision)."""
    key = ("workload", net.name, output_bits)
    hit = mapping.derived.get(key)
    if hit is not None:
        return hit  # type: ignore[return-value]
    from imcsim.sim.actions import layer_chips

    batch = max(1, net.batch)
    layers = list(net.layers())
    index = {layer.name: i for i, layer in enumerate(layers)}
    rows = [out_rows(layer) for layer in layers]
    chip = layer_chips(net, mapping) if mapping.chips > 1 else {}
    sent: set[tuple[str, int]] = set()  # (producer, receiving chip): each crosses once
    groups: dict[str, int] = {}
    work: list[LayerWork] = []
    for i, layer in enumerate(layers):
        m = mapping.layers.get(layer.name)
        crossbar = layer.crossbar is not None and m is not None
        key_w = m.weight if crossbar and m is not None else layer.name
        inputs = []
        for p in net.predecessors(layer.name):
            j = index[p]
            row_bytes = layers[j].out_elements / (batch * rows[j]) * output_bits / 8
            edge = _edge(layer, j, rows[j], row_bytes)
            here = chip.get(layer.name, 0)
            if chip and chip.get(p, 0) != here and (p, here) not in sent:
                sent.add((p, here))
                edge = dataclasses.replace(edge, chip_link=True)
            inputs.append(edge)
        if crossbar and m is not None:
            per_chip = mapping.spec.tiles_per_chip
            place = tuple(sorted({c[0] * per_chip + c[1] for c in m.cores}))
            tiles = max(1, len(place))
        else:  # a digital layer runs on the units of its producers' tiles
            tiles = max((work[e.producer].tiles for e in inputs), default=1)
            place = work[inputs[0].producer].place if inputs else ()
        work.append(LayerWork(
            name=layer.name, op=layer.op, crossbar=crossbar, rows=rows[i],
            copies=m.duplication if crossbar and m else 1, tiles=tiles,
            group=groups.setdefault(key_w, len(groups)), inputs=tuple(inputs),
            arrays=m.tiling.arrays * m.duplication if crossbar and m else 0, place=place))
    out = tuple(work)
    mapping.derived[key] = out
    return out


def capacity_rows(work: Workload, layer: LayerWork, edge: Edge) -> int:
    """Rows of ``edge``'s producer that ``layer``'s input buffer holds: the tile buffers of
    the tiles it occupies, shared evenly by its inputs (−1: unbounded — no buffer modelled,
    or a stream, which holds no row)."""
    if work.buffer_bytes <= 0 or edge.row_bytes <= 0 or edge.rule is Rule.STREAM:
        return -1
    share = work.buffer_bytes * layer.tiles / max(1, len(layer.inputs))
    return int(math.floor(share / edge.row_bytes))


def row_indices(edge: Edge, own_rows: int, batch: int) -> Any:
    """For each of a consumer's rows (batch items one after another), the index of the
    last producer row it reads, in the producer's rows of the whole batch (None: the
    same row, a row-wise op on as many rows). Cached by the edge's shape: sweeps price
    the same shapes many times."""
    return _row_indices(edge.shape, own_rows, batch)


@functools.lru_cache(maxsize=4096)
def _row_indices(shape: tuple[Rule, int, int, int, int], own_rows: int, batch: int) -> Any:
    import numpy as np

    rule, p, stride, window, pad = shape
    if rule is Rule.ROWWISE and p == own_rows:
        return None
    r = np.tile(np.arange(own_rows, dtype=np.int64), batch)
    b = np.repeat(np.arange(batch, dtype=np.int64), own_rows)
    if rule in (Rule.ALL, Rule.STREAM):
        k = np.full_like(r, p)
    elif rule is Rule.WINDOW:
        k = np.clip(r * stride - pad + window, 1, p)
    else:
        k = np.clip(-(-(r + 1) * p // own_rows), 1, p)
    out = b * p + k - 1
    out.flags.writeable = False
    return out


EXACT_ITEMS = 64  # batch items simulated row by row; a larger batch repeats the last one


def simulated_items(batch: int) -> int:
    """Batch items both simulators compute row by row."""
    return min(batch, EXACT_ITEMS)


def pipeline(work: Workload) -> tuple[list[float], list[float]]:
    """Start of the first row and finish of the last row of every layer, rows flowing
    with unbounded buffers, batch items one after another: row i of a layer finishes at
    max(its previous row's finish, the finish of the last producer row it reads) + its
    row time — closed form per layer and item, F(i) = t·(i + 1) + max_{j ≤ i} (ready(j) −
    t·j). The first :data:`EXACT_ITEMS` items are computed; each later item advances every
    layer by what the last computed one did (the pipeline's steady state)."""
    import numpy as np

    n_layers = len(work.layers)
    prev = np.zeros(n_layers)  # each layer's last finish in the previous item
    start: list[float] = []
    delta = np.zeros(n_layers)
    items = simulated_items(work.batch)
    for item in range(items):
        finish_rows: list[Any] = []
        last = np.empty(n_layers)
        for k, w in enumerate(work.layers):
            ready: Any = None
            for e in w.inputs:
                idx = row_indices(e, w.rows, 1)
                got = finish_rows[e.producer] if idx is None else finish_rows[e.producer][idx]
                ready = got if ready is None else np.maximum(ready, got)
            ready = np.zeros(w.rows) if ready is None else ready.copy()
            ready[0] = max(ready[0], prev[k])  # after the layer's previous item
            if work.times[k] == 0.0:  # a view: its rows are its producers' (in order)
                f = np.maximum.accumulate(ready)
            else:
                t = work.times[k] / (work.batch * w.rows)
                steps = _steps(w.rows) * t
                f = np.maximum.accumulate(ready - steps) + steps + t
            finish_rows.append(f)
            last[k] = f[-1]
            if item == 0:
                start.append(float(ready[0]))
        delta = last - prev
        prev = last
    return start, (prev + (work.batch - items) * delta).tolist()


@functools.lru_cache(maxsize=1024)
def _steps(n: int) -> Any:
    import numpy as np

    out = np.arange(n, dtype=np.float64)
    out.flags.writeable = False
    return out

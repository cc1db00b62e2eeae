"""Cycle-level (event) simulation of the mapped accelerator running a batch, on the same
workload record and the same stage times as the analytical model.

Granularity: one output row of a layer (W output pixels: W input-vector steps spread over
the layer's copies, with all their input-bit cycles and conversions), batch items one
after another. Each layer (each group of layers sharing arrays) works on one row at a
time, in order; a row starts when

- the layer (its arrays) is free,
- every producer has finished the rows the row reads (:class:`imcsim.sim.workload.Edge`:
  a convolution's window with its stride and padding, a Gemm's whole input, …),
- when buffers are finite, there is room for the row in every consumer's input buffer:
  the consumer's tile buffers (``tile.buffer_bytes`` × the tiles it occupies, shared by
  its inputs) hold ``capacity`` rows of this producer, and a producer row is freed when
  the consumer finishes the last of its own rows that reads it;
- its new input rows have reached it: from another chip over the chip links
  (``chip.io_links`` × their bandwidth, shared by all traffic), from another tile over the
  mesh network-on-chip (:class:`imcsim.sim.workload.Fabric`: routers in a snake over the
  tiles, XY routing from the producer's middle tile to the consumer's, ``noc.flit_bits``
  per clock per link, ``noc.hop_cycles`` per hop), then over the tile buses of a crossbar
  layer's tiles (its bus bytes of the action counts, each tile its share); a transfer
  starts when the producer's last new row is made, holds every link of its path at once
  (a wormhole) and takes the first interval free on all of them, so it overlaps the
  layer's computing of its previous row and other transfers keep their places; and
- a digital layer's unit (``alu``, ``pooling``, …: the one its time is spent on) is free:
  digital layers of one kind take turns on the chip's units of that kind (the analytical
  model gives each layer all of them), and start a row only once its consumers have room;
  data-movement layers whose time is their bus traffic take turns on the chip's buses as
  one such unit, apart from the crossbar layers' per-tile bus bookings.

A row takes the layer's stage time / its rows (less its transfers over the chip links,
which the links' schedule times instead); a row that is computed but has no room waits
(``output_full``), a free layer whose inputs are not made waits (``input_wait``), or
whose inputs are on their way (``chip_link``, ``noc``, ``bus``), or whose unit is taken
(``digital_unit``). A Numba kernel places rows in the order they could start, probing
again only the layers next to the one that moved, and stops with the stuck layers when
no layer can move (a deadlock: buffers too small for a fork and its join, e.g. a residual
block). No event log is kept: memory is one float per row, and each channel keeps
:data:`SLOTS` reservations apart (beyond that its two oldest merge into one, giving up the
gap between them: a transfer may wait longer than it must, never share a channel).

With no contention (``contention=False``: unbounded buffers, free transfers, every digital
layer all of its units) the run equals the analytical pipeline
(:func:`imcsim.sim.workload.pipeline`, a closed form per layer), layer by layer: the tests
check ResNet-18, ResNet-50 and VGG-16 on two presets. Throughput is the batch over the
busiest stage's occupied time — a group of layers (busy plus waiting for buffer room), a
link, a bus or a digital unit; with no contention that is the analytical slowest stage.
The first :data:`imcsim.sim.workload.EXACT_ITEMS` batch items are simulated; each later
item adds what the last simulated one did (the analytical model does the same).

Granularity is one output row; ADCs are never shared between layers (a core runs one
layer, and the ADCs shared by a core's arrays are in its step time).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit

from imcsim.errors import ImcsimError
from imcsim.functional._kernels import JIT
from imcsim.sim.workload import (
    Edge,
    Fabric,
    LayerWork,
    Workload,
    capacity_rows,
    simulated_items,
)


@dataclass(frozen=True, slots=True)
class LayerCycle:
    name: str
    start_s: float  # first row started
    end_s: float  # last row finished
    busy_s: float  # computing
    stall_s: dict[str, float]  # by reason


@dataclass(frozen=True, slots=True)
class CycleResult:
    latency_s: float
    throughput_inf_per_s: float
    layers: list[LayerCycle]
    stalls: dict[str, float]  # reason -> layer-seconds
    utilization: dict[str, float]  # resource class -> busy fraction over the run
    events: int  # rows simulated (the first EXACT_ITEMS batch items; later ones repeat the last)
    bounded: bool  # buffers were finite
    critical_path: list[str]  # layers whose rows set the latency, first to last
    rows: list[np.ndarray] | None = None  # per layer each row's finish (with ``keep_rows``)
    row_time_s: list[float] | None = None  # per layer the time of one row

    def to_json(self) -> dict[str, object]:
        return {"latency_s": self.latency_s, "throughput_inf_per_s": self.throughput_inf_per_s,
                "stalls": dict(self.stalls), "utilization": dict(self.utilization),
                "events": self.events, "buffers": "finite" if self.bounded else "unbounded",
                "critical_path": list(self.critical_path)}


@njit(**JIT)
def _need(rule: int, r: int, p: int, own: int, stride: int, window: int, pad: int) -> int:
    """Producer rows (per item) output row ``r`` needs (Rule: 0 window, 1 all, 2 row-wise,
    3 stream)."""
    if rule == 1 or rule == 3:
        return p
    if rule == 0:
        k = r * stride - pad + window
    else:
        k = -((-(r + 1) * p) // own)
    return max(1, min(p, k))


@njit(**JIT)
def _release(rule: int, j: int, p: int, own: int, stride: int, pad: int) -> int:
    """The consumer row after which producer row ``j`` (per item) is no longer read."""
    if rule == 1:
        return own - 1
    if rule == 0:
        q = (j + pad) // stride
    else:
        q = -((-(j + 1) * own) // p) - 1
    return max(0, min(own - 1, q))


REASONS = ("input_wait", "output_full", "chip_link", "noc", "bus", "digital_unit")
_IN, _OUT, _LINK, _NOC, _BUS, _UNIT = range(len(REASONS))


@njit(**JIT)
def _probe(layer: int, rows: np.ndarray, in_ptr: np.ndarray, e_prod: np.ndarray,
           e_rule: np.ndarray, e_p: np.ndarray, e_stride: np.ndarray, e_window: np.ndarray,
           e_pad: np.ndarray, e_cap: np.ndarray, out_ptr: np.ndarray, out_edge: np.ndarray,
           e_cons: np.ndarray, offset: np.ndarray, finish: np.ndarray,
           nxt: np.ndarray) -> tuple[bool, float, float]:
    """Whether the layer's next row can be placed yet, and if so when its inputs are
    ready (made by their producers) and when its consumers have room for it."""
    own = rows[layer]
    i = nxt[layer]
    b = i // own
    r = i - b * own
    ready = 0.0
    for e in range(in_ptr[layer], in_ptr[layer + 1]):
        pr = e_prod[e]
        k = _need(e_rule[e], r, e_p[e], own, e_stride[e], e_window[e], e_pad[e])
        j = b * e_p[e] + k - 1
        if nxt[pr] <= j:
            return False, 0.0, 0.0
        ready = max(ready, finish[offset[pr] + j])
    room = 0.0
    for t in range(out_ptr[layer], out_ptr[layer + 1]):
        e = out_edge[t]
        cap = e_cap[e]
        if cap < 0 or i < cap:
            continue
        j = i - cap  # this row takes the slot of row j
        c = e_cons[e]
        cown = rows[c]
        jb = j // own
        q = jb * cown + _release(e_rule[e], j - jb * own, own, cown, e_stride[e], e_pad[e])
        if nxt[c] <= q:
            return False, 0.0, 0.0
        room = max(room, finish[offset[c] + q])
    return True, ready, room


SLOTS = 64  # reservations each channel keeps apart (beyond, the oldest two merge)


@njit(**JIT)
def _send(t: float, nbytes: float, lo: int, hi: int, path: np.ndarray, ch_bw: np.ndarray,
          ch_s: np.ndarray, ch_e: np.ndarray, ch_n: np.ndarray, ch_busy: np.ndarray) -> float:
    """Move ``nbytes`` over every channel of ``path[lo:hi]`` at once (a wormhole through
    the mesh, or a layer's tile buses side by side) at the slowest one's bandwidth, in the
    first interval from ``t`` on that is free on all of them (earlier reservations keep
    theirs); returns when the last byte is through."""
    bw = np.inf
    for c in range(lo, hi):
        bw = min(bw, ch_bw[path[c]])
    dur = nbytes / bw
    t0 = t
    moved = True
    while moved:  # past every reservation that overlaps [t0, t0 + dur)
        moved = False
        for c in range(lo, hi):
            ch = path[c]
            for k in range(ch_n[ch]):
                if ch_s[ch, k] < t0 + dur and ch_e[ch, k] > t0:
                    t0 = ch_e[ch, k]
                    moved = True
    for c in range(lo, hi):
        ch = path[c]
        m = ch_n[ch]
        if m == SLOTS:  # full: the two oldest become one (their gap is given up, never
            ch_e[ch, 0] = max(ch_e[ch, 0], ch_e[ch, 1])  # booked twice)
            for k in range(2, m):
                ch_s[ch, k - 1], ch_e[ch, k - 1] = ch_s[ch, k], ch_e[ch, k]
            m -= 1
        k = m
        while k > 0 and ch_s[ch, k - 1] > t0:  # keep them in time order
            ch_s[ch, k], ch_e[ch, k] = ch_s[ch, k - 1], ch_e[ch, k - 1]
            k -= 1
        ch_s[ch, k], ch_e[ch, k] = t0, t0 + dur
        ch_n[ch] = m + 1
        ch_busy[ch] += dur
    return t0 + dur


@njit(**JIT)
def _run(rows: np.ndarray, row_time: np.ndarray, group: np.ndarray, n_groups: int,
         l_unit: np.ndarray, batch: int, in_ptr: np.ndarray, e_prod: np.ndarray, e_rule: np.ndarray,
         e_p: np.ndarray, e_stride: np.ndarray, e_window: np.ndarray, e_pad: np.ndarray,
         e_cap: np.ndarray, e_bytes: np.ndarray, e_lat: np.ndarray, e_cls: np.ndarray,
         e_path_ptr: np.ndarray, e_path: np.ndarray, l_bus: np.ndarray, l_bus_ptr: np.ndarray,
         l_bus_ch: np.ndarray, ch_bw: np.ndarray, ch_busy: np.ndarray, out_ptr: np.ndarray, out_edge: np.ndarray, e_cons: np.ndarray, offset: np.ndarray,
         finish: np.ndarray, first: np.ndarray, busy: np.ndarray, wait: np.ndarray,
         nxt: np.ndarray) -> int:
    """Finish time of every row of every layer, rows placed in the order of the time they
    could start (so shared channels serve transfers in time order); returns the rows
    simulated (fewer than ``batch · rows`` when no layer can advance: a deadlock)."""
    n = rows.shape[0]
    free = np.zeros(n_groups)  # each group's arrays free from
    n_ch = ch_bw.shape[0]
    unit_ch = np.arange(n_ch)  # a path of one channel: itself
    ch_s, ch_e = np.zeros((n_ch, SLOTS)), np.zeros((n_ch, SLOTS))  # reserved intervals
    ch_n = np.zeros(n_ch, dtype=np.int64)
    done = 0
    # each layer's next row as last probed: placeable?, inputs ready, room
    can = np.zeros(n, dtype=np.bool_)
    c_ready, c_room = np.zeros(n), np.zeros(n)
    stale = np.ones(n, dtype=np.bool_)  # probe again: a producer or consumer moved on
    while True:
        best = -1
        best_t = np.inf
        for layer in range(n):
            if nxt[layer] >= batch * rows[layer]:
                continue
            if stale[layer]:
                can[layer], c_ready[layer], c_room[layer] = _probe(
                    layer, rows, in_ptr, e_prod, e_rule, e_p, e_stride, e_window, e_pad,
                    e_cap, out_ptr, out_edge, e_cons, offset, finish, nxt)
                stale[layer] = False
            if can[layer]:
                t = max(free[group[layer]], c_ready[layer])
                if t < best_t:
                    best_t = t
                    best = layer
        if best < 0:
            return done
        layer = best
        ready, room = c_ready[layer], c_room[layer]
        stale[layer] = True
        for e in range(in_ptr[layer], in_ptr[layer + 1]):
            stale[e_prod[e]] = True  # may now have room
        for t in range(out_ptr[layer], out_ptr[layer + 1]):
            stale[e_cons[out_edge[t]]] = True  # may now have its inputs
        i = nxt[layer]
        g = group[layer]
        own = rows[layer]
        b = i // own
        r = i - b * own
        # the new input rows cross the chip links or the mesh, each edge's as soon as its
        # last row is made (overlapping the layer's previous row); then the tile buses
        arrive, cls = ready, -1
        for e in range(in_ptr[layer], in_ptr[layer + 1]):
            if e_bytes[e] <= 0.0:
                continue
            k = _need(e_rule[e], r, e_p[e], own, e_stride[e], e_window[e], e_pad[e])
            before = 0 if r == 0 else _need(e_rule[e], r - 1, e_p[e], own, e_stride[e],
                                            e_window[e], e_pad[e])
            if k > before:
                made = finish[offset[e_prod[e]] + b * e_p[e] + k - 1]
                got = _send(made, (k - before) * e_bytes[e], e_path_ptr[e], e_path_ptr[e + 1],
                            e_path, ch_bw, ch_s, ch_e, ch_n, ch_busy) + e_lat[e]
                if got > arrive:
                    arrive, cls = got, e_cls[e]
        prev = free[g]
        if i > 0 and ready - prev > 1e-12 * ready:  # (before the first row: filling)
            wait[layer, _IN] += ready - prev
        base = max(prev, ready)
        if arrive - base > 1e-12 * arrive:
            wait[layer, cls] += arrive - base
        if l_bus[layer] > 0.0:  # from the tile buffer to the cores, once the rows are in
            got = _send(arrive, l_bus[layer], l_bus_ptr[layer], l_bus_ptr[layer + 1], l_bus_ch,
                        ch_bw, ch_s, ch_e, ch_n, ch_busy)
            if got - max(base, arrive) > 1e-12 * got:
                wait[layer, _BUS] += got - max(base, arrive)
            arrive = max(arrive, got)
        start = max(free[g], arrive)
        u = l_unit[layer]
        if u >= 0:  # a unit shared with other layers: start once there is room, in a gap
            t = max(start, room - row_time[layer])
            if t - start > 1e-12 * t:
                wait[layer, _OUT] += t - start
            start = _send(t, row_time[layer] * ch_bw[u], u, u + 1, unit_ch, ch_bw, ch_s, ch_e,
                          ch_n, ch_busy) - row_time[layer]
            if start - t > 1e-12 * start:
                wait[layer, _UNIT] += start - t  # other layers had the unit
        end = start + row_time[layer]
        if room > end:
            if room - end > 1e-12 * room:  # not a rounding difference
                wait[layer, _OUT] += room - end
            end = room
        if i == 0:
            first[layer] = start
        finish[offset[layer] + i] = end
        busy[layer] += row_time[layer]
        free[g] = end
        nxt[layer] = i + 1
        done += 1


@dataclass(frozen=True, slots=True)
class _Channels:
    """The shared channels of a run as flat arrays: 0 the chip links, then the mesh links
    of every chip, then every tile's bus; each edge's path and each layer's buses."""

    bw: np.ndarray
    kind: np.ndarray  # REASONS index of each channel
    e_bytes: np.ndarray
    e_lat: np.ndarray
    e_cls: np.ndarray
    e_path_ptr: np.ndarray
    e_path: np.ndarray
    l_bus: np.ndarray
    l_bus_ptr: np.ndarray
    l_bus_ch: np.ndarray
    l_unit: np.ndarray  # each layer's shared digital unit (a channel), −1: none
    mesh_links: int  # directed links between routers of the chips in use


@functools.lru_cache(maxsize=256)
def _routes(layers: tuple[LayerWork, ...], geometry: tuple[int, int] | None, links: bool,
            noc: bool, bus: bool) -> tuple[Any, ...]:
    """The channels' layout for one structure and chip geometry (a sweep prices the same
    mapping many times): chips in use, mesh and bus channels, and each edge's path (its
    channel class and hop count) and each layer's bus channels."""
    fab = Fabric(geometry[0], geometry[1], 1.0, 0.0, 1.0) if geometry else None
    tiles = [t for w in layers for t in w.place]
    chips = (max(tiles) // fab.tiles_per_chip + 1) if fab is not None and tiles else 0
    n_mesh = chips * fab.positions * 4 if noc and fab is not None else 0
    n_bus = chips * fab.tiles_per_chip if bus and fab is not None else 0
    e_cls, e_hops, ptr, path = [], [], [0], []
    for w in layers:
        for e in w.inputs:
            src, dst = layers[e.producer].place, w.place
            hops: list[int] = []
            cls = -1
            if links and e.chip_link:
                hops, cls = [0], _LINK
            elif n_mesh and fab is not None and src and dst:
                a, z = src[len(src) // 2], dst[len(dst) // 2]  # the middle tile of each
                if a // fab.tiles_per_chip == z // fab.tiles_per_chip:
                    hops, cls = [1 + h for h in fab.route(a, z)], _NOC
            if not hops or e.row_bytes <= 0:
                hops, cls = [], -1
            e_cls.append(cls)
            e_hops.append(len(hops) if cls == _NOC else 0)
            path.extend(hops)
            ptr.append(len(path))
    l_ptr, l_ch = [0], list[int]()
    for w in layers:
        if n_bus:
            l_ch.extend(1 + n_mesh + t for t in w.place)
        l_ptr.append(len(l_ch))
    i64 = np.int64
    return (n_mesh, n_bus, np.array(e_cls, dtype=i64), np.array(e_hops, dtype=np.float64),
            np.array(ptr, dtype=i64), np.array(path, dtype=i64), np.array(l_ptr, dtype=i64),
            np.array(l_ch, dtype=i64), chips * fab.mesh_links() if n_mesh and fab else 0)


def _channels(work: Workload, edges: list[tuple[int, Edge]], contention: bool) -> _Channels:
    links = contention and work.link_bytes_per_s > 0 and any(work.link_times)
    fab = work.fabric if contention else None
    noc = fab is not None and fab.noc_bytes_per_s > 0
    bus = fab is not None and fab.bus_bytes_per_s > 0
    n_mesh, n_bus, e_cls, e_hops, e_ptr, e_path, l_ptr, l_ch, mesh = _routes(
        work.layers, (fab.tiles_per_chip, fab.tiles_per_router) if fab else None, links, noc,
        bus)
    bw = np.concatenate([[work.link_bytes_per_s if links else 1.0],
                         np.full(n_mesh, fab.noc_bytes_per_s if noc and fab else 1.0),
                         np.full(n_bus, fab.bus_bytes_per_s if fab else 1.0)])
    # digital layers on one kind of unit take turns on the chip's units of that kind
    units = sorted({u for k, u in enumerate(work.units) if u and work.times[k] > 0}
                   if contention else ())
    first_unit = 1 + n_mesh + n_bus
    bw = np.concatenate([bw, np.ones(len(units))])  # a unit "moves" seconds
    kind = np.array([_LINK] + [_NOC] * n_mesh + [_BUS] * n_bus + [_UNIT] * len(units),
                    dtype=np.int64)
    l_unit = np.array([first_unit + units.index(work.units[k])
                       if k < len(work.units) and work.units[k] in units and work.times[k] > 0
                       else -1 for k in range(len(work.layers))], dtype=np.int64)
    row_bytes = np.array([e.row_bytes for _, e in edges], dtype=np.float64)
    e_bytes = np.where(e_cls >= 0, row_bytes, 0.0)
    e_lat = e_hops * (fab.hop_s if fab else 0.0)
    # each tile's bus carries its share of every row
    l_bus = np.array([work.bus_bytes[k] / (work.batch * w.rows * len(w.place))
                      if n_bus and k < len(work.bus_bytes) and w.place else 0.0
                      for k, w in enumerate(work.layers)])
    return _Channels(bw, kind, e_bytes, e_lat, e_cls, e_ptr, e_path, l_bus, l_ptr, l_ch,
                     l_unit, mesh)


def simulate_cycles(work: Workload, contention: bool = True,
                    keep_rows: bool = False) -> CycleResult:
    """Run the workload's batch through the pipeline (see the module's docstring);
    ``contention=False``: unbounded buffers, free transfers and every digital layer its own
    units (the analytical model's assumptions); ``keep_rows``: keep every row's finish
    time (for a timeline)."""
    n = len(work.layers)
    rows = np.array([w.rows for w in work.layers], dtype=np.int64)
    batch = work.batch
    # with contention the chip links are a resource of their own: a layer's own time is
    # then its time less receiving from other chips (which the links' schedule decides)
    links = contention and work.link_bytes_per_s > 0 and any(work.link_times)
    own = [t - (work.link_times[i] if links else 0.0) for i, t in enumerate(work.times)]
    row_time = np.array([max(0.0, t) / (batch * w.rows) for t, w in zip(own, work.layers,
                                                                        strict=True)])
    group = np.array([w.group for w in work.layers], dtype=np.int64)
    n_groups = int(group.max(initial=-1)) + 1
    edges = [(c, e) for c, w in enumerate(work.layers) for e in w.inputs]
    in_ptr = np.zeros(n + 1, dtype=np.int64)
    for c, _ in edges:
        in_ptr[c + 1] += 1
    in_ptr = np.cumsum(in_ptr)
    caps = []
    for c, e in edges:
        cap = capacity_rows(work, work.layers[c], e) if contention else -1
        if cap >= 0:
            held = e.held_rows(work.layers[c].rows)
            if cap < held:
                w, p = work.layers[c], work.layers[e.producer]
                need = math.ceil(held * e.row_bytes * max(1, len(w.inputs)) / w.tiles)
                raise ImcsimError(
                    f"layer '{w.name}' holds {held} rows of '{p.name}' at once "
                    f"({held * e.row_bytes:,.0f} bytes) but its input buffer takes {cap}; "
                    f"set tile.buffer_bytes ≥ {need:,} (or 0: no buffer modelled)")
        caps.append(cap)
    e_prod = np.array([e.producer for _, e in edges], dtype=np.int64)
    e_cons = np.array([c for c, _ in edges], dtype=np.int64)
    e_rule = np.array([int(e.rule) for _, e in edges], dtype=np.int64)
    e_p = np.array([e.rows for _, e in edges], dtype=np.int64)
    e_stride = np.array([e.stride for _, e in edges], dtype=np.int64)
    e_window = np.array([e.window for _, e in edges], dtype=np.int64)
    e_pad = np.array([e.pad for _, e in edges], dtype=np.int64)
    e_cap = np.array(caps, dtype=np.int64)
    ch = _channels(work, edges, contention)
    order = np.argsort(e_prod, kind="stable")
    out_ptr = np.zeros(n + 1, dtype=np.int64)
    for p in e_prod:
        out_ptr[p + 1] += 1
    out_ptr = np.cumsum(out_ptr)

    def run(items: int) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                 np.ndarray, np.ndarray]:
        offset = np.zeros(n + 1, dtype=np.int64)
        offset[1:] = np.cumsum(rows * items)
        finish = np.zeros(int(offset[-1]))
        first, busy = np.zeros(n), np.zeros(n)
        wait = np.zeros((n, len(REASONS)))
        ch_busy = np.zeros(ch.bw.shape[0])
        nxt = np.zeros(n, dtype=np.int64)
        done = _run(rows, row_time, group, n_groups, ch.l_unit, items, in_ptr, e_prod, e_rule, e_p,
                    e_stride, e_window, e_pad, e_cap, ch.e_bytes, ch.e_lat, ch.e_cls,
                    ch.e_path_ptr, ch.e_path, ch.l_bus, ch.l_bus_ptr, ch.l_bus_ch, ch.bw,
                    ch_busy, out_ptr, order.astype(np.int64),
                    e_cons, offset, finish, first, busy, wait, nxt)
        if done < int(offset[-1]):
            stuck = [w.name for i, w in enumerate(work.layers) if nxt[i] < items * w.rows]
            raise ImcsimError(
                f"deadlock: {len(stuck)} layers wait on each other's buffers "
                f"({', '.join(stuck[:4])}{', …' if len(stuck) > 4 else ''}); a fork and its "
                "join (a residual block) need room for the rows between them: raise "
                "tile.buffer_bytes")
        return done, offset, finish, first, busy, wait, ch_busy

    items = simulated_items(batch)
    done, offset, finish, first, busy, wait, ch_busy = run(items)
    end = finish[offset[1:] - 1] if n else np.zeros(0)
    if items < batch:  # later items repeat the last one's advance (the steady state)
        _, off1, fin1, _, busy1, wait1, ch1 = run(items - 1)
        k = batch - items
        end = end + k * (end - fin1[off1[1:] - 1])
        busy, wait, ch_busy = (a + k * (a - b) for a, b in ((busy, busy1), (wait, wait1),
                                                            (ch_busy, ch1)))
    layers = [LayerCycle(w.name, float(first[i]), float(end[i]), float(busy[i]),
                         {reason: float(wait[i, j]) for j, reason in enumerate(REASONS)})
              for i, w in enumerate(work.layers)]
    latency = float(end.max(initial=0.0))
    occupied: dict[int, float] = {}
    for i in range(n):
        occupied[int(group[i])] = occupied.get(int(group[i]), 0.0) + busy[i] + wait[i, _OUT]
    # every channel is a stage too (a digital unit with the rows of all its layers): the
    # busiest sets the period if it is the slowest
    slowest = max(max(occupied.values(), default=0.0), float(ch_busy.max(initial=0.0)))
    # array-seconds computing over all arrays (layers sharing arrays count them once)
    arrays = sum({w.group: w.arrays for w in work.layers if w.crossbar}.values())
    array_busy = sum(busy[i] * w.arrays for i, w in enumerate(work.layers))
    per_row = [finish[offset[i]:offset[i + 1]] for i in range(n)]
    used = {"arrays": min(1.0, float(array_busy) / (arrays * latency))
            if arrays and latency > 0 else 0.0}
    if latency > 0:
        if links:
            used["chip_links"] = min(1.0, float(ch_busy[0]) / latency)
        mesh = ch_busy[ch.kind == _NOC]
        if ch.mesh_links and mesh.any():
            used["noc_links"] = min(1.0, float(mesh.sum()) / (ch.mesh_links * latency))
            used["noc_link_peak"] = min(1.0, float(mesh.max()) / latency)
    return CycleResult(
        latency_s=latency, throughput_inf_per_s=batch / slowest if slowest > 0 else math.inf,
        layers=layers, stalls={reason: float(wait[:, j].sum())
                               for j, reason in enumerate(REASONS)},
        utilization=used, events=done, bounded=bool((e_cap >= 0).any()),
        critical_path=_critical_path(work, per_row, row_time, items,
                                     int(np.argmax(end)) if n else -1),
        rows=per_row if keep_rows else None,
        row_time_s=row_time.tolist() if keep_rows else None)


def _critical_path(work: Workload, rows: list[np.ndarray], row_time: np.ndarray, items: int,
                   last: int) -> list[str]:
    """Walk back from the last row to finish: each row started when its layer's previous
    row ended or when a producer row it reads ended (whichever was later; a row that
    waited for buffer room is charged to its own layer); the layers passed, in order."""
    from imcsim.sim.workload import row_indices

    path: list[str] = []
    layer, i = last, len(rows[last]) - 1 if last >= 0 else -1
    guard = sum(len(r) for r in rows) + 1
    while layer >= 0 and i >= 0 and guard > 0:
        guard -= 1
        w = work.layers[layer]
        if not path or path[-1] != w.name:
            path.append(w.name)
        best, nxt = -1.0, (-1, -1)
        for e in w.inputs:
            idx = row_indices(e, w.rows, items)
            j = i if idx is None else int(idx[i])
            t = float(rows[e.producer][j])
            if t > best:
                best, nxt = t, (e.producer, j)
        own = float(rows[layer][i - 1]) if i > 0 else 0.0
        if best <= 0.0 and own <= 0.0:
            break
        if own >= best:
            i -= 1  # the layer itself was the constraint (or a buffer it waited on)
        else:
            layer, i = nxt
    return path[::-1]

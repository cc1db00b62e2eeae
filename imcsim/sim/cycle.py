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
  the consumer finishes the last of its own rows that reads it; and
- when the model spans chips, the rows it reads from another chip have crossed the chip
  links (``chip.io_links`` × their bandwidth, shared by all traffic, one transfer at a
  time, overlapping the layer's computing of its previous row).

A row takes the layer's stage time / its rows (less its transfers over the chip links,
which the links' schedule times instead); a row that is computed but has no room waits
(``output_full``), a free layer whose inputs are not there waits (``input_wait``), or
whose inputs are still crossing the links (``chip_link``). A Numba kernel places rows in
the order they could start (so the links serve transfers in time order), probing again
only the layers next to the one that moved, and stops with the stuck layers when no
layer can move (a deadlock: buffers too small for a fork and its join, e.g. a residual
block). No event log is kept: memory is one float per row.

With no contention (``contention=False``: unbounded buffers, transfers in each layer's
own time; or ``tile.buffer_bytes: 0`` on one chip) the run equals
the analytical pipeline (:func:`imcsim.sim.workload.pipeline`, a closed form per layer),
layer by layer: the tests check ResNet-18, ResNet-50 and VGG-16 on two presets.
Throughput is the batch over the busiest group's occupied time (busy plus waiting for
buffer room); with unbounded buffers that is the analytical slowest stage. The first
:data:`imcsim.sim.workload.EXACT_ITEMS` batch items are simulated; each later item adds
what the last simulated one did (the analytical model does the same).

Not modelled yet: contention for the tile bus and the network-on-chip, and ADCs or
digital units shared between layers (each layer's time includes its own).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from imcsim.errors import ImcsimError
from imcsim.functional._kernels import JIT
from imcsim.sim.workload import Workload, capacity_rows, simulated_items


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


@njit(**JIT)
def _probe(layer: int, rows: np.ndarray, in_ptr: np.ndarray, e_prod: np.ndarray,
           e_rule: np.ndarray, e_p: np.ndarray, e_stride: np.ndarray, e_window: np.ndarray,
           e_pad: np.ndarray, e_cap: np.ndarray, e_link: np.ndarray, out_ptr: np.ndarray,
           out_edge: np.ndarray, e_cons: np.ndarray, offset: np.ndarray, finish: np.ndarray,
           nxt: np.ndarray) -> tuple[bool, float, float, float]:
    """Whether the layer's next row can be placed yet, and if so when its inputs are
    ready, when its consumers have room for it, and the bytes it must receive over the
    chip links first."""
    own = rows[layer]
    i = nxt[layer]
    b = i // own
    r = i - b * own
    ready = 0.0
    link = 0.0
    for e in range(in_ptr[layer], in_ptr[layer + 1]):
        pr = e_prod[e]
        k = _need(e_rule[e], r, e_p[e], own, e_stride[e], e_window[e], e_pad[e])
        j = b * e_p[e] + k - 1
        if nxt[pr] <= j:
            return False, 0.0, 0.0, 0.0
        ready = max(ready, finish[offset[pr] + j])
        if e_link[e] > 0.0:  # the rows this row reads first, over the chip links
            before = 0 if r == 0 else _need(e_rule[e], r - 1, e_p[e], own, e_stride[e],
                                            e_window[e], e_pad[e])
            link += (k - before) * e_link[e]
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
            return False, 0.0, 0.0, 0.0
        room = max(room, finish[offset[c] + q])
    return True, ready, room, link


@njit(**JIT)
def _run(rows: np.ndarray, row_time: np.ndarray, group: np.ndarray, n_groups: int,
         batch: int, in_ptr: np.ndarray, e_prod: np.ndarray, e_rule: np.ndarray,
         e_p: np.ndarray, e_stride: np.ndarray, e_window: np.ndarray, e_pad: np.ndarray,
         e_cap: np.ndarray, e_link: np.ndarray, link_bw: float, out_ptr: np.ndarray,
         out_edge: np.ndarray, e_cons: np.ndarray, offset: np.ndarray, finish: np.ndarray,
         first: np.ndarray, busy: np.ndarray, wait_in: np.ndarray, wait_out: np.ndarray,
         wait_link: np.ndarray, nxt: np.ndarray) -> int:
    """Finish time of every row of every layer, rows placed in the order of the time they
    could start (so the shared chip links serve transfers in time order); returns the
    rows simulated (fewer than ``batch · rows`` when no layer can advance: a deadlock)."""
    n = rows.shape[0]
    free = np.zeros(n_groups)
    link_free = 0.0
    done = 0
    # each layer's next row as last probed: placeable?, inputs ready, room, link bytes
    can = np.zeros(n, dtype=np.bool_)
    c_ready, c_room, c_link = np.zeros(n), np.zeros(n), np.zeros(n)
    stale = np.ones(n, dtype=np.bool_)  # probe again: a producer or consumer moved on
    while True:
        best = -1
        best_t = np.inf
        for layer in range(n):
            if nxt[layer] >= batch * rows[layer]:
                continue
            if stale[layer]:
                can[layer], c_ready[layer], c_room[layer], c_link[layer] = _probe(
                    layer, rows, in_ptr, e_prod, e_rule, e_p, e_stride, e_window, e_pad,
                    e_cap, e_link, out_ptr, out_edge, e_cons, offset, finish, nxt)
                stale[layer] = False
            if can[layer]:
                t = max(free[group[layer]], c_ready[layer])
                if t < best_t:
                    best_t = t
                    best = layer
        if best < 0:
            return done
        layer = best
        ready, room, link = c_ready[layer], c_room[layer], c_link[layer]
        stale[layer] = True
        for e in range(in_ptr[layer], in_ptr[layer + 1]):
            stale[e_prod[e]] = True  # may now have room
        for t in range(out_ptr[layer], out_ptr[layer + 1]):
            stale[e_cons[out_edge[t]]] = True  # may now have its inputs
        i = nxt[layer]
        g = group[layer]
        base = max(free[g], ready)
        start = base
        if link > 0.0:  # the new input rows cross the links, one transfer at a time
            sent = max(ready, link_free) + link / link_bw
            link_free = sent
            if sent > base:
                if sent - base > 1e-12 * sent:
                    wait_link[layer] += sent - base
                start = sent
        end = start + row_time[layer]
        if room > end:
            if room - end > 1e-12 * room:  # not a rounding difference
                wait_out[layer] += room - end
            end = room
        if i == 0:
            first[layer] = start
        elif ready - free[g] > 1e-12 * ready:  # (before the first row: filling)
            wait_in[layer] += ready - free[g]
        finish[offset[layer] + i] = end
        busy[layer] += row_time[layer]
        free[g] = end
        nxt[layer] = i + 1
        done += 1


def simulate_cycles(work: Workload, contention: bool = True,
                    keep_rows: bool = False) -> CycleResult:
    """Run the workload's batch through the pipeline (see the module's docstring);
    ``contention=False``: unbounded buffers and chip-link transfers within each layer's own
    time (the analytical model's assumptions); ``keep_rows``: keep every row's finish time
    (for a timeline)."""
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
    e_link = np.array([e.row_bytes if links and e.chip_link else 0.0 for _, e in edges],
                      dtype=np.float64)
    link_bw = float(work.link_bytes_per_s) if links else 1.0
    order = np.argsort(e_prod, kind="stable")
    out_ptr = np.zeros(n + 1, dtype=np.int64)
    for p in e_prod:
        out_ptr[p + 1] += 1
    out_ptr = np.cumsum(out_ptr)
    def run(items: int) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                 np.ndarray, np.ndarray, np.ndarray]:
        offset = np.zeros(n + 1, dtype=np.int64)
        offset[1:] = np.cumsum(rows * items)
        finish = np.zeros(int(offset[-1]))
        first = np.zeros(n)
        busy, wait_in, wait_out, wait_link = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
        nxt = np.zeros(n, dtype=np.int64)
        done = _run(rows, row_time, group, int(group.max(initial=-1)) + 1, items, in_ptr,
                    e_prod, e_rule, e_p, e_stride, e_window, e_pad, e_cap, e_link, link_bw,
                    out_ptr, order.astype(np.int64), e_cons, offset, finish, first, busy,
                    wait_in, wait_out, wait_link, nxt)
        if done < int(offset[-1]):
            stuck = [w.name for i, w in enumerate(work.layers) if nxt[i] < items * w.rows]
            raise ImcsimError(
                f"deadlock: {len(stuck)} layers wait on each other's buffers "
                f"({', '.join(stuck[:4])}{', …' if len(stuck) > 4 else ''}); a fork and its "
                "join (a residual block) need room for the rows between them: raise "
                "tile.buffer_bytes")
        return done, offset, finish, first, busy, wait_in, wait_out, wait_link

    items = simulated_items(batch)
    done, offset, finish, first, busy, wait_in, wait_out, wait_link = run(items)
    end = finish[offset[1:] - 1] if n else np.zeros(0)
    if items < batch:  # later items repeat the last one's advance (the steady state)
        _, off1, fin1, _, busy1, in1, out1, link1 = run(items - 1)
        k = batch - items
        end = end + k * (end - fin1[off1[1:] - 1])
        busy, wait_in, wait_out, wait_link = (
            a + k * (a - b) for a, b in ((busy, busy1), (wait_in, in1), (wait_out, out1),
                                         (wait_link, link1)))
    layers = [LayerCycle(w.name, float(first[i]), float(end[i]), float(busy[i]),
                         {"input_wait": float(wait_in[i]), "output_full": float(wait_out[i]),
                          "chip_link": float(wait_link[i])})
              for i, w in enumerate(work.layers)]
    latency = float(end.max(initial=0.0))
    occupied: dict[int, float] = {}
    for i, w in enumerate(work.layers):
        occupied[w.group] = occupied.get(w.group, 0.0) + busy[i] + wait_out[i]
    link_busy = float(sum(work.link_times)) if links else 0.0  # the whole run
    slowest = max(max(occupied.values(), default=0.0), link_busy)  # the links are a stage too
    # array-seconds computing over all arrays (layers sharing arrays count them once)
    arrays = sum({w.group: w.arrays for w in work.layers if w.crossbar}.values())
    array_busy = sum(busy[i] * w.arrays for i, w in enumerate(work.layers))
    per_row = [finish[offset[i]:offset[i + 1]] for i in range(n)]
    return CycleResult(
        latency_s=latency, throughput_inf_per_s=batch / slowest if slowest > 0 else math.inf,
        layers=layers, stalls={"input_wait": float(wait_in.sum()),
                               "output_full": float(wait_out.sum()),
                               "chip_link": float(wait_link.sum())},
        utilization={"arrays": min(1.0, float(array_busy) / (arrays * latency))
                     if arrays and latency > 0 else 0.0,
                     **({"chip_links": min(1.0, link_busy / latency)} if links and latency > 0
                        else {})},
        events=done, bounded=bool((e_cap >= 0).any()),
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

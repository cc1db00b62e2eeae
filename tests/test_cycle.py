"""The cycle-level simulator (issue #12): with unbounded buffers it reproduces the analytical
pipeline on ResNet-18, ResNet-50 and VGG-16 for ISAAC and rram_128 (two implementations:
a closed form per layer in NumPy, and the Numba sweep that also handles finite buffers);
a chain whose stalls are worked out by hand; monotonicity in the buffer size; deadlocks
found, never a hang; the CLI's --cycle, --timeline and one-line errors."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from imcsim.compiler.mapping import map_network
from onnx_builders import REPO, TINY_CNN

import imcsim
from imcsim.cli import main
from imcsim.errors import ImcsimError
from imcsim.sim import simulate
from imcsim.sim.cycle import REASONS, simulate_cycles
from imcsim.sim.workload import Edge, LayerWork, Rule, Workload, pipeline
from imcsim.sweep.model import load_hardware_model

sys.path.insert(0, str(REPO / "models"))
import build_models  # noqa: E402

NO_STALLS = dict.fromkeys(REASONS, 0.0)


@pytest.fixture(scope="module")
def networks(tmp_path_factory):
    """ResNet-18, ResNet-50 and VGG-16 (CIFAR-10 form) from the bundled builders, parsed
    once, without their weights."""
    import onnx

    out = tmp_path_factory.mktemp("cycle_models")
    nets = {}
    for name in ("resnet18", "resnet50", "vgg16"):
        path = out / f"{name}.onnx"
        onnx.save(build_models.build(name, seed=0), str(path))
        nets[name] = load_hardware_model(str(path))
        path.unlink()  # 45–100 MB each
    return nets


@pytest.mark.parametrize("arch_name", ["isaac", "rram_128"])
@pytest.mark.parametrize("model", ["resnet18", "resnet50", "vgg16"])
def test_unbounded_cycle_run_equals_the_analytical_pipeline(networks, model, arch_name):
    net = networks[model]
    arch = imcsim.load_arch(arch_name)
    sim = simulate(net, map_network(net, arch.array_spec(), "auto"), arch)
    run = simulate_cycles(sim.workload, contention=False)
    assert run.latency_s == pytest.approx(sim.latency_s, rel=0.02)
    assert run.throughput_inf_per_s == pytest.approx(sim.throughput_inf_per_s, rel=0.02)
    # layer by layer too (the two implementations agree to rounding)
    analytical = {r.name: r for r in sim.layers}
    for c in run.layers:
        assert c.end_s == pytest.approx(analytical[c.name].finish_s, rel=1e-9, abs=1e-15)
        assert c.start_s == pytest.approx(analytical[c.name].start_s, rel=1e-9, abs=1e-15)
    assert run.events == sum(w.rows for w in sim.workload.layers)
    assert run.stalls["output_full"] == 0.0


def _chain(capacity_rows: int | None) -> Workload:
    """A (4 rows of 1 µs) → B (a 2-row window, stride 1, no padding: 3 rows of 3 µs); one
    A row is 100 bytes and B's input buffer holds ``capacity_rows`` of them."""
    us = 1e-6
    a = LayerWork("A", "Conv", True, rows=4, copies=1, tiles=1, group=0, inputs=())
    b = LayerWork("B", "Conv", True, rows=3, copies=1, tiles=1, group=1,
                  inputs=(Edge(0, Rule.WINDOW, rows=4, stride=1, window=2, pad=0,
                               row_bytes=100.0),))
    return Workload((a, b), (4 * us, 9 * us), batch=1, buffer_bytes=100 * (capacity_rows or 0))


def test_a_tiny_buffer_stalls_as_worked_out_by_hand():
    """Unbounded: A's rows end at 1, 2, 3, 4 µs; B's row 0 reads A rows 0–1 (ready at 2)
    and ends at 5, row 1 (rows 1–2) at 8, row 2 (rows 2–3) at 11.
    With room for 2 rows: A's row 2 takes row 0's slot, freed when B ends its row 0 (5 µs),
    so it waits from 3 to 5; row 3 takes row 1's slot, freed when B ends row 1 (8 µs): it
    starts at 5, is done at 6 and waits to 8. A stalls 2 + 2 = 4 µs on a full buffer; B
    never waits for a row it needs after its first, and still ends at 11 µs."""
    free = simulate_cycles(_chain(None))
    assert free.latency_s == pytest.approx(11e-6)
    assert free.stalls == NO_STALLS
    tight = simulate_cycles(_chain(2), keep_rows=True)
    assert tight.rows is not None
    np.testing.assert_allclose(tight.rows[0], [1e-6, 2e-6, 5e-6, 8e-6])
    np.testing.assert_allclose(tight.rows[1], [5e-6, 8e-6, 11e-6])
    a, b = tight.layers
    assert a.stall_s == {**NO_STALLS, "output_full": pytest.approx(4e-6)}
    assert b.stall_s == NO_STALLS
    assert b.start_s == pytest.approx(2e-6) and b.end_s == pytest.approx(11e-6)
    assert tight.critical_path == ["A", "B"]


def test_a_buffer_smaller_than_one_window_is_refused_before_simulating():
    with pytest.raises(ImcsimError, match=r"layer 'B' holds 2 rows of 'A' at once \(200 bytes\)"
                       r" but its input buffer takes 1; set tile.buffer_bytes ≥ 200"):
        simulate_cycles(_chain(1))


def test_a_fork_and_join_without_room_is_a_deadlock_not_a_hang():
    """A feeds B (a 3-row window with padding 1: its row 0 reads A rows 0–1) and C, which
    adds A and B row by row with room for one row of A: A's row 1 needs C to finish row 0,
    which needs B's row 0, which needs A's row 1."""
    us = 1e-6
    a = LayerWork("A", "Relu", False, 4, 1, 1, 0, ())
    b = LayerWork("B", "Conv", True, 4, 1, 1, 1, (Edge(0, Rule.WINDOW, 4, 1, 3, 1, row_bytes=100.0),))
    c = LayerWork("C", "Add", False, 4, 1, 1, 2, (Edge(0, Rule.ROWWISE, 4, row_bytes=100.0),
                                                Edge(1, Rule.ROWWISE, 4, row_bytes=100.0)))
    # B's buffer holds its 3-row window; C's two inputs share 300 B: one row of A each
    work = Workload((a, b, c), (4 * us,) * 3, batch=1, buffer_bytes=300)
    with pytest.raises(ImcsimError, match="deadlock: 3 layers wait on each other's buffers "
                       r"\(A, B, C\)"):
        simulate_cycles(work)
    # unbounded: B's rows end at 3, 4, 5, 6 µs (row r reads A rows up to r + 1), C's at
    # 4, 5, 6, 7
    assert simulate_cycles(work, contention=False).latency_s == pytest.approx(7e-6)


def test_random_chains_never_get_faster_with_less_buffer():
    """Latency never falls as buffers shrink (random chains of windowed layers)."""
    rng = np.random.default_rng(7)
    for _ in range(30):
        n, rows = int(rng.integers(2, 5)), int(rng.integers(4, 12))
        layers, times = [], []
        for i in range(n):
            window = int(rng.integers(1, 4))
            inputs = () if i == 0 else (Edge(i - 1, Rule.WINDOW, rows, 1, window, window // 2,
                                             row_bytes=10.0),)
            layers.append(LayerWork(f"L{i}", "Conv", True, rows, 1, 1, i, inputs))
            times.append(float(rng.uniform(1, 5)) * rows * 1e-6)
        latencies = [simulate_cycles(Workload(tuple(layers), tuple(times), 1, 10 * cap)).latency_s
                     for cap in (3, 4, 6, 10, 0)]  # 0: unbounded
        assert all(x >= y * (1 - 1e-12) for x, y in zip(latencies, latencies[1:], strict=False))


def test_resnet18_buffers_batches_and_the_bus(networks):
    """On ResNet-18 (rram_128): smaller tile buffers never lower latency or raise
    throughput; a batch of 4 takes longer than one inference but less than four."""
    net = networks["resnet18"]
    lat, thr = [], []
    for size in (0, 1 << 20, 1 << 17, 1 << 16):
        arch = imcsim.load_arch("rram_128", set={"tile.buffer_bytes": size})
        sim = simulate(net, map_network(net, arch.array_spec(), "auto"), arch)
        run = simulate_cycles(sim.workload)
        lat.append(run.latency_s)
        thr.append(run.throughput_inf_per_s)
    assert all(x <= y * (1 + 1e-12) for x, y in zip(lat, lat[1:], strict=False))
    assert all(x >= y * (1 - 1e-12) for x, y in zip(thr, thr[1:], strict=False))


def _compile(tmp_path, *extra):
    out = tmp_path / "c.json"
    out.unlink(missing_ok=True)
    assert main(["compile", str(TINY_CNN), "--json", str(out), "--quiet", *extra]) == 0
    return json.loads(out.read_text())


def test_cli_cycle_report_and_timeline(tmp_path):
    data = _compile(tmp_path, "--cycle", "--timeline", str(tmp_path / "t.svg"))
    c = data["cycle"]
    assert set(c) >= {"latency_s", "throughput_inf_per_s", "stalls", "utilization", "events",
                      "critical_path", "analytical_latency_s", "static_j", "energy_j"}
    assert c["latency_s"] >= c["analytical_latency_s"] * (1 - 1e-12)
    assert c["analytical_latency_s"] == data["performance"]["latency_s"]
    timed = [r for r in data["layers"] if r["name"] not in ("model I/O", "static")]
    last = max(timed, key=lambda r: r["cycle"]["end_s"])
    assert c["critical_path"][-1] == last["name"] and c["latency_s"] == last["cycle"]["end_s"]
    for row in timed:
        rc = row["cycle"]
        assert rc["end_s"] >= rc["start_s"] and rc["stall_s"] == sum(rc["stalls"].values())
    # leakage over the cycle-level latency: static power × time, per inference
    static = data["energy"]["static_j"]
    assert c["static_j"] == pytest.approx(static * c["latency_s"] / c["analytical_latency_s"])
    root = ET.parse(tmp_path / "t.svg").getroot()
    assert root.tag.endswith("svg")
    unbounded = _compile(tmp_path, "--cycle", "--no-contention")
    assert unbounded["cycle"]["latency_s"] == pytest.approx(
        unbounded["performance"]["latency_s"], rel=1e-9)


@pytest.mark.parametrize(("args", "expect"), [
    (["--timeline", "t.svg"], "--timeline: only with --cycle"),
    (["--cycle", "--timeline", "t.txt"], "--timeline t.txt: give a .png or .svg file"),
    (["--no-contention"], "--no-contention: only with --cycle"),
    (["--cycle", "--set", "tile.buffer_bytes=64"], "set tile.buffer_bytes ≥"),
])
def test_cli_cycle_errors_are_one_line(tmp_path, capsys, monkeypatch, args, expect):
    monkeypatch.chdir(tmp_path)
    rc = main(["compile", str(TINY_CNN), "--json", "out.json", *args])
    assert rc == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expect in err, err
    assert not Path("out.json").exists() and not list(Path(".").glob("t.*"))


def test_sweep_cycle_points_equal_compile_cycle(tmp_path):
    assert main(["sweep", str(TINY_CNN), "--cycle", "--grid", "tile.buffer_bytes=4096,65536",
                 "--out", str(tmp_path / "s"), "--quiet", "--no-plots"]) == 0
    records = [json.loads(x) for x in (tmp_path / "s" / "results.jsonl").read_text().split("\n")
               if x]
    assert len(records) == 2
    for r in records:
        ref = _compile(tmp_path, "--cycle", "--set",
                       f"tile.buffer_bytes={r['config']['tile.buffer_bytes']}")
        assert r["cycle"] == json.loads(json.dumps(ref["cycle"]))


@pytest.mark.parametrize("batch", [3, 64, 1000, 1_000_000])
def test_batches_flow_one_after_another(batch):
    """A batch through the tiny CNN (rram_128, unbounded buffers): both simulators agree;
    the latency is at least one inference's plus (batch − 1) bottleneck stages of one
    inference, and batch / throughput; 1,000,000 inferences cost no more rows than 64
    (items past the 64th repeat the last one's advance)."""
    arch = imcsim.load_arch("rram_128")
    one_net = imcsim.load_model(str(TINY_CNN))
    one = simulate(one_net, map_network(one_net, arch.array_spec(), "none"), arch)
    net = imcsim.load_model(str(TINY_CNN), batch=batch)
    sim = simulate(net, map_network(net, arch.array_spec(), "none"), arch)
    run = simulate_cycles(sim.workload, contention=False)
    assert run.latency_s == pytest.approx(sim.latency_s, rel=1e-9)
    assert run.throughput_inf_per_s == pytest.approx(one.throughput_inf_per_s, rel=1e-9)
    period = 1.0 / one.throughput_inf_per_s  # the bottleneck stage of one inference
    assert sim.latency_s >= one.latency_s + (batch - 1) * period * (1 - 1e-9)
    assert sim.latency_s == pytest.approx(one.latency_s + (batch - 1) * period, rel=0.05)
    assert run.events == min(batch, 64) * sum(w.rows for w in sim.workload.layers)


def test_two_transfers_share_the_chip_links_as_worked_out_by_hand():
    """A and D (chip 0, 2 rows of 1 µs each) feed B and E (chip 1, row by row, 1 µs of
    compute per row); each row is 100 bytes and the links carry 100 bytes/µs together, so
    each row takes 1 µs to cross and one crosses at a time. Rows cross in the order they
    can start (ties by layer order): A's row 0 over 1–2 µs (B computes it 2–3), D's row 0
    over 2–3 (E: 3–4), A's row 1 over 3–4 (B: 4–5), D's row 1 over 4–5 (E: 5–6): 6 µs.
    B waits 1 + 1 µs on the links, E 2 + 1. The analytical model adds each layer's 2 µs
    of transfers to its own time, as if it had the links alone: 5 µs."""
    us = 1e-6
    a = LayerWork("A", "Conv", True, 2, 1, 1, 0, ())
    d = LayerWork("D", "Conv", True, 2, 1, 1, 1, ())
    b = LayerWork("B", "Relu", False, 2, 1, 1, 2,
                  (Edge(0, Rule.ROWWISE, 2, row_bytes=100.0, chip_link=True),))
    e = LayerWork("E", "Relu", False, 2, 1, 1, 3,
                  (Edge(1, Rule.ROWWISE, 2, row_bytes=100.0, chip_link=True),))
    work = Workload((a, d, b, e), (2 * us, 2 * us, 4 * us, 4 * us), batch=1, buffer_bytes=0,
                    link_times=(0.0, 0.0, 2 * us, 2 * us), link_bytes_per_s=1e8)
    run = simulate_cycles(work, keep_rows=True)
    assert run.rows is not None
    np.testing.assert_allclose(run.rows[2], [3 * us, 5 * us])
    np.testing.assert_allclose(run.rows[3], [4 * us, 6 * us])
    assert run.layers[2].stall_s["chip_link"] == pytest.approx(2 * us)
    assert run.layers[3].stall_s["chip_link"] == pytest.approx(3 * us)
    assert run.latency_s == pytest.approx(6 * us)
    assert run.utilization["chip_links"] == pytest.approx(4 / 6)
    free = simulate_cycles(work, contention=False)
    assert free.latency_s == pytest.approx(5 * us) == max(pipeline(work)[1])


def test_adc_and_bus_utilisation_from_the_action_counts(tmp_path):
    """tiny CNN on rram_128 (--cycle): ADC utilisation = conversions × conversion time /
    (ADCs of the arrays in use × latency), the ADCs being ⌈cols / cols_per_adc⌉ /
    arrays_per_adc per array; bus utilisation = bus bytes / (bus width / 8 × clock × tiles
    in use × latency). The counts come from count_actions, the sizes from the config."""
    from imcsim.cost import build_components
    from imcsim.sim import count_actions

    data = _compile(tmp_path, "--cycle")
    c = data["cycle"]
    arch = imcsim.load_arch("rram_128")
    net = imcsim.load_model(str(TINY_CNN))
    mapping = map_network(net, arch.array_spec(), "auto")
    counts = count_actions(net, mapping, arch)
    conversions = sum(a.counts.get("adc", 0.0) for a in counts.values())
    bus_bytes = sum(a.counts.get("bus", 0.0) for a in counts.values())
    adcs = mapping.arrays * -(-arch.array.cols // arch.adc.cols_per_adc) / arch.adc.arrays_per_adc
    t_conv = build_components(arch)["adc"].latency_s
    assert c["utilization"]["adcs"] == pytest.approx(
        conversions * t_conv / (adcs * c["latency_s"]), rel=1e-9)
    bus = arch.tile.bus_width_bits / 8 * arch.technology.clock_hz * mapping.tiles_used
    assert c["utilization"]["buses"] == pytest.approx(bus_bytes / bus / c["latency_s"],
                                                      rel=1e-9)
    # conversions happen while arrays read: the ADCs are never busier than the arrays
    assert c["utilization"]["adcs"] <= c["utilization"]["arrays"] * (1 + 1e-9)


def _placed(name, rows, tile, group, inputs=(), crossbar=True):
    return LayerWork(name, "Conv" if crossbar else "Relu", crossbar, rows, 1, 1, group,
                     tuple(inputs), arrays=1 if crossbar else 0, place=(tile,))


def test_transfers_share_a_mesh_link_as_worked_out_by_hand():
    """A 2×2 mesh (one tile per router, a snake: tiles 0, 1 on the first row, 2 above 1,
    3 above 0), 100 bytes/µs per link, 0.5 µs per hop. A (tile 0) feeds B (tile 2): XY
    route +x then +y, 2 hops; C (tile 1) feeds D (tile 2): +y, 1 hop — the +y link out of
    tile 1's router is shared. A and C make 2 rows of 100 B, ending at 1 and 2 µs; B and D
    take 1 µs per row. Rows are placed by the time they could start (ties by layer):
    B row 0: A's row crosses 1–2, + 1 µs of hops: computes 3–4.
    D row 0: the shared link is busy until 2: crosses 2–3, + 0.5: computes 3.5–4.5.
    B row 1: A's row 1 (made at 2) finds both links free at 3–4: computes 5–6.
    D row 1: C's row 1 finds the link free at 4–5: computes 5.5–6.5.
    Without contention the transfers are free: B and D end at 3 µs."""
    from imcsim.sim.workload import Fabric

    us = 1e-6
    fab = Fabric(tiles_per_chip=4, tiles_per_router=1, noc_bytes_per_s=1e8, hop_s=0.5 * us,
                 bus_bytes_per_s=0.0)
    assert [fab.router(t) for t in range(4)] == [(0, 0, 0), (0, 1, 0), (0, 1, 1), (0, 0, 1)]
    a, c = _placed("A", 2, 0, 0), _placed("C", 2, 1, 1)
    b = _placed("B", 2, 2, 2, [Edge(0, Rule.ROWWISE, 2, row_bytes=100.0)])
    d = _placed("D", 2, 2, 3, [Edge(1, Rule.ROWWISE, 2, row_bytes=100.0)])
    work = Workload((a, c, b, d), (2 * us,) * 4, batch=1, buffer_bytes=0, fabric=fab)
    run = simulate_cycles(work, keep_rows=True)
    assert run.rows is not None
    np.testing.assert_allclose(run.rows[2], [4 * us, 6 * us])
    np.testing.assert_allclose(run.rows[3], [4.5 * us, 6.5 * us])
    assert run.latency_s == pytest.approx(6.5 * us)
    assert run.layers[2].stall_s == {**NO_STALLS, "noc": pytest.approx(2 * us + 1 * us)}
    assert run.layers[3].stall_s == {**NO_STALLS, "noc": pytest.approx(2.5 * us + 1 * us)}
    # the shared link carried 4 µs of the 6.5, the other 2 µs; a 2×2 mesh has 8 links
    assert run.utilization["noc_link_peak"] == pytest.approx(4 / 6.5)
    assert run.utilization["noc_links"] == pytest.approx(6 / (8 * 6.5))
    assert simulate_cycles(work, contention=False).latency_s == pytest.approx(3 * us)


def test_layers_share_a_tile_bus_as_worked_out_by_hand():
    """A and C sit on one tile; each makes 2 rows of 1 µs and first moves 100 B per row over
    the tile's bus (100 bytes/µs: 1 µs), while the layer may still be computing its
    previous row. A row 0: bus 0–1, computes 1–2. C row 0: bus 1–2, computes 2–3. A row 1:
    the bus is next free at 2–3, computes 3–4. C row 1: bus 3–4, computes 4–5. A waits
    1 + 1 µs on the bus, C 2 + 1."""
    from imcsim.sim.workload import Fabric

    us = 1e-6
    fab = Fabric(tiles_per_chip=1, tiles_per_router=1, noc_bytes_per_s=0.0, hop_s=0.0,
                 bus_bytes_per_s=1e8)
    work = Workload((_placed("A", 2, 0, 0), _placed("C", 2, 0, 1)), (2 * us, 2 * us), batch=1,
                    buffer_bytes=0, fabric=fab, bus_bytes=(200.0, 200.0))
    run = simulate_cycles(work, keep_rows=True)
    assert run.rows is not None
    np.testing.assert_allclose(run.rows[0], [2 * us, 4 * us])
    np.testing.assert_allclose(run.rows[1], [3 * us, 5 * us])
    assert [w.stall_s["bus"] for w in run.layers] == [pytest.approx(2 * us), pytest.approx(3 * us)]
    assert simulate_cycles(work, contention=False).latency_s == pytest.approx(2 * us)


def test_digital_layers_take_turns_on_their_unit():
    """X and Y both run on the ALUs (2 rows of 1 µs each, no inputs): X row 0 at 0–1, Y row
    0 waits for the unit (1–2), X row 1 at 2–3, Y row 1 at 3–4; the unit is busy 4 µs per
    inference, which sets the throughput (250,000/s instead of 500,000/s). Views (no time)
    and crossbar layers never wait for a unit."""
    us = 1e-6
    x, y = _placed("X", 2, 0, 0, crossbar=False), _placed("Y", 2, 0, 1, crossbar=False)
    work = Workload((x, y), (2 * us, 2 * us), batch=1, buffer_bytes=0, units=("alu", "alu"))
    run = simulate_cycles(work, keep_rows=True)
    assert run.rows is not None
    np.testing.assert_allclose(run.rows[0], [1 * us, 3 * us])
    np.testing.assert_allclose(run.rows[1], [2 * us, 4 * us])
    assert [w.stall_s["digital_unit"] for w in run.layers] == [pytest.approx(1 * us),
                                                               pytest.approx(2 * us)]
    assert run.throughput_inf_per_s == pytest.approx(1 / (4 * us))
    free = simulate_cycles(work, contention=False)
    assert free.latency_s == pytest.approx(2 * us)
    assert free.throughput_inf_per_s == pytest.approx(1 / (2 * us))


@pytest.mark.parametrize(("model", "key", "values"), [
    ("resnet18", "tile.bus_width_bits", (1024, 256, 64)),
    ("resnet18", "noc.flit_bits", (256, 32, 8)),
    ("resnet18", "noc.hop_cycles", (0, 2, 16)),
    ("resnet18", "adc.cols_per_adc", (8, 16, 64)),
    ("resnet50", "chip.io_bandwidth_bytes_per_s", (6.4e10, 1.6e10, 2e9)),  # 3 chips
])
def test_less_of_a_resource_never_makes_a_resnet_faster(networks, model, key, values):
    """ResNets on rram_128 with contention: a narrower bus, narrower or slower mesh links,
    fewer ADCs per array or slower chip links never lower the latency or raise the
    throughput."""
    net = networks[model]
    lat, thr = [], []
    for v in values:
        arch = imcsim.load_arch("rram_128", set={key: v})
        sim = simulate(net, map_network(net, arch.array_spec(), "auto"), arch)
        run = simulate_cycles(sim.workload)
        lat.append(run.latency_s)
        thr.append(run.throughput_inf_per_s)
    assert all(x <= y * (1 + 1e-12) for x, y in zip(lat, lat[1:], strict=False)), lat
    assert all(x >= y * (1 - 1e-12) for x, y in zip(thr, thr[1:], strict=False)), thr


@pytest.mark.parametrize("routers", [1, 3, 7, 12, 42, 48, 50])
def test_mesh_routes_are_shortest_and_pass_only_routers_that_exist(routers):
    """The snake fills the last row from one end; every route between two tiles has
    Manhattan length (XY, or YX from a partly filled last row) and crosses only links
    between routers that exist — together exactly the mesh's links."""
    from imcsim.sim.workload import Fabric

    fab = Fabric(tiles_per_chip=2 * routers, tiles_per_router=2, noc_bytes_per_s=1.0, hop_s=0.0,
                 bus_bytes_per_s=0.0)
    at = {fab.router(t)[1:] for t in range(2 * routers)}
    assert len(at) == routers
    used = set()
    for a in range(2 * routers):
        for b in range(2 * routers):
            (xa, ya), (xb, yb) = fab.router(a)[1:], fab.router(b)[1:]
            path = fab.route(a, b)
            assert len(path) == abs(xa - xb) + abs(ya - yb)
            for link in path:
                place, direction = divmod(link, 4)
                x, y = place % fab.columns, place // fab.columns
                dx, dy = [(1, 0), (-1, 0), (0, 1), (0, -1)][direction]
                assert (x, y) in at and (x + dx, y + dy) in at
            used.update(path)
    assert len(used) == fab.mesh_links()


def test_channel_bookings_never_overlap_even_past_the_slots_kept():
    """400 transfers requested at random past and future times on two channels (some
    over both): every transfer gets an interval free on each channel it uses, however
    many bookings each channel has had to merge (it keeps SLOTS apart), and no earlier
    than asked."""
    from imcsim.sim.cycle import SLOTS, _send

    send = getattr(_send, "py_func", _send)
    rng = np.random.default_rng(11)
    bw = np.array([1.0, 2.0])
    ch_s, ch_e = np.zeros((2, SLOTS)), np.zeros((2, SLOTS))
    ch_n, busy = np.zeros(2, dtype=np.int64), np.zeros(2)
    paths = {0: np.array([0]), 1: np.array([1]), 2: np.array([0, 1])}
    booked: dict[int, list[tuple[float, float]]] = {0: [], 1: []}
    for _ in range(400):
        which = int(rng.integers(3))
        t, nbytes = float(rng.uniform(0, 200)), float(rng.uniform(0.1, 2))
        path = paths[which]
        end = send(t, nbytes, 0, len(path), path, bw, ch_s, ch_e, ch_n, busy)
        start = end - nbytes / bw[path].min()
        assert start >= t - 1e-12
        for c in path:
            booked[int(c)].append((start, end))
    for spans in booked.values():
        spans.sort()
        assert all(a[1] <= b[0] + 1e-9 for a, b in zip(spans, spans[1:], strict=False))
    assert ch_n.max() == SLOTS  # the merging was exercised

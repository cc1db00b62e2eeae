"""Mapping: tiling, bit slices, signed schemes, packing, duplication, placement — checked
against hand calculations written next to each assertion."""

from __future__ import annotations

import pytest
from imcsim.compiler.errors import MappingError
from imcsim.compiler.ir import CrossbarWork, Layer, LayerKind, Network
from imcsim.compiler.mapping import ArraySpec, SignedScheme, map_network, parse_duplication, tile


def spec(**kw) -> ArraySpec:
    base = dict(rows=128, cols=128, cell_bits=2, weight_bits=8, input_bits=8, dac_bits=1,
                scheme=SignedScheme.DIFFERENTIAL, arrays_per_core=4, cores_per_tile=4,
                tiles_per_chip=4)
    base.update(kw)
    return ArraySpec(**base)


def work(rows, cols, groups=1, mvms=1, weight="w") -> CrossbarWork:
    return CrossbarWork(rows=rows, cols=cols, groups=groups, mvms=mvms, weight=weight)


def test_slices_and_input_cycles():
    assert spec(weight_bits=8, cell_bits=2).slices == 4
    assert spec(weight_bits=16, cell_bits=3).slices == 6  # ceil(16/3)
    assert spec(input_bits=8, dac_bits=3).input_cycles == 3  # ceil(8/3)


@pytest.mark.parametrize("scheme,cols_per_weight", [
    (SignedScheme.DIFFERENTIAL, 2), (SignedScheme.OFFSET, 1), (SignedScheme.TWOS_COMPLEMENT, 1)])
def test_tiling_of_a_300x100_matrix(scheme, cols_per_weight):
    """K=300, N=100, 4 slices: physical columns 100·4·c; row tiles ceil(300/128)=3."""
    t = tile(work(300, 100), spec(scheme=scheme))
    phys = 100 * 4 * cols_per_weight
    col_tiles = -(-phys // 128)  # 7 for differential (800 cols), 4 for one column per weight
    assert (t.row_tiles, t.col_tiles, t.arrays) == (3, col_tiles, 3 * col_tiles)
    assert t.cells_used == 300 * phys
    assert t.utilization(spec()) == pytest.approx(300 * phys / (3 * col_tiles * 128 * 128))
    assert t.partial_sum_adds == 2 * 100  # (row tiles − 1) · N
    assert t.rows_driven == 300 * col_tiles and t.cols_read == phys * 3
    assert t.offset_adds == (400 if scheme is SignedScheme.OFFSET else 0)  # (N + K)·G


def test_depthwise_groups_pack_block_diagonally():
    """Depthwise 3×3 over 32 channels: K=9, N=1 → 8 columns each (4 slices × pair);
    min(128 // 9, 128 // 8) = 14 groups per array → ceil(32/14) = 3 arrays, not 32."""
    t = tile(work(9, 1, groups=32), spec())
    assert (t.groups_per_array, t.arrays) == (14, 3)
    assert t.utilization(spec()) == pytest.approx(9 * 8 * 32 / (3 * 128 * 128))  # ≈ 4.7 %


def _chain(mvms_list, k=128, n=32) -> Network:
    net = Network(name="chain", inputs={"x": (1,)}, outputs=(f"t{len(mvms_list)}",))
    for i, m in enumerate(mvms_list):
        net.add(Layer(name=f"l{i}", op="Gemm", kind=LayerKind.GEMM, inputs=(f"t{i}",),
                      outputs=(f"t{i + 1}",), out_shape=(m, n), out_elements=m * n,
                      crossbar=work(k, n, mvms=m, weight=f"w{i}")))
    net.connect()
    return net


def test_duplication_auto_balances_the_pipeline():
    """Each layer: K=128, N=32 → 256 columns → 2 arrays per copy; 4 arrays per core, so a
    layer with d copies takes ceil(d/2) cores; the chip has 4·4 = 16 cores. The oracle is
    brute force: the smallest T (steps of the slowest layer) whose copies ceil(mvms/T) fit."""
    mvms = (1024, 256, 64)
    m = map_network(_chain(list(mvms)), spec(), "auto")

    def cores(t):
        copies = [-(-mv // t) for mv in mvms]  # ceil(mvms / T)
        return sum(-(-c // 2) for c in copies)  # two copies per core

    best = min(t for t in range(1, 1025) if cores(t) <= 16)
    # T = 43: 24 + 6 + 2 copies → 12 + 3 + 1 = 16 cores; T = 42: 25 + 7 + 2 → 13 + 4 + 1 = 18
    assert best == 43
    assert max(x.steps for x in m.layers.values()) == best
    assert sum(-(-x.duplication // 2) for x in m.layers.values()) <= 16


def test_duplication_none_and_fixed():
    net = _chain([100, 10])
    assert [m.duplication for m in map_network(net, spec(), "none").layers.values()] == [1, 1]
    fixed = map_network(net, spec(), 3)
    assert [m.duplication for m in fixed.layers.values()] == [3, 3]
    assert fixed.layers["l0"].steps == 34  # ceil(100 / 3)


def test_placement_spans_chips_and_says_so():
    """40 layers × 2 arrays → one core each (a core runs one layer); 4 cores per tile.
    16 tiles → 64 cores → 1 chip; 4 tiles → 16 cores per chip → ceil(40/16) = 3 chips."""
    net = _chain([1] * 40)
    assert map_network(net, spec(tiles_per_chip=16), "none").chips == 1
    m = map_network(net, spec(), "none")
    assert m.chips == 3 and not m.fits_one_chip
    # core 39 = chip 2 (39 // 16), core 7 of that chip = tile 1 (7 // 4), core 3 (7 % 4)
    assert m.layers["l39"].cores[0] == (2, 1, 3)


def test_shared_weights_get_one_set_of_arrays():
    net = _chain([5, 5, 5])
    for name in ("l1", "l2"):  # reuse l0's weights, as an unrolled RNN does
        layer = net.layer(name)
        net.replace(layer.with_(crossbar=work(128, 32, mvms=5, weight="w0")))
    m = map_network(net, spec(), "none")
    assert [m.layers[n].arrays for n in ("l0", "l1", "l2")] == [2, 0, 0]
    assert m.arrays == 2


def test_networkx_graph_links_layers_and_tiles():
    m = map_network(_chain([1, 1]), spec(), "none")
    g = m.graph
    assert g.has_edge(("layer", "l0"), ("layer", "l1"))
    assert g.has_edge(("layer", "l0"), ("tile", 0, 0))


@pytest.mark.parametrize("bad", ["0", "-2", "foo", ""])
def test_bad_duplication_values(bad):
    with pytest.raises(MappingError):
        parse_duplication(bad)


def _rnn(seq, batch) -> Network:
    """One LSTM-like layer: [x; h] = 24 rows, 4 gates · 8 = 32 columns, seq·batch MVMs."""
    net = Network(name="rnn", inputs={"x": (seq, batch, 16)}, outputs=("y",))
    net.add(Layer(name="lstm", op="LSTM", kind=LayerKind.RNN, inputs=("x",), outputs=("y",),
                  out_shape=(seq, 1, batch, 32), out_elements=seq * batch * 32,
                  crossbar=CrossbarWork(rows=24, cols=32, groups=1, mvms=seq * batch, weight="w",
                                        sequential=seq)))
    net.connect()
    return net


@pytest.mark.parametrize("duplication", ["auto", 8])
def test_rnn_time_steps_are_not_duplicated(duplication):
    """seq = 10 steps of batch 2: only the 2 sequences are independent, so at most 2 copies
    and never fewer than 10 steps (h_t needs h_(t−1)), however many copies would fit."""
    m = map_network(_rnn(10, 2), spec(), duplication)
    assert (m.layers["lstm"].duplication, m.layers["lstm"].steps) == (2, 10)
    one = map_network(_rnn(10, 1), spec(), duplication)
    assert (one.layers["lstm"].duplication, one.layers["lstm"].steps) == (1, 10)
    assert map_network(_rnn(10, 2), spec(), "none").layers["lstm"].steps == 20

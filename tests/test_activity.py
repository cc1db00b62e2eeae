"""--activity-from: crossbar and DAC energy from the data the arrays actually read."""

from __future__ import annotations

import json

import numpy as np
import pytest
from imcsim.compiler.frontend import import_onnx
from imcsim.compiler.mapping import map_network
from imcsim.compiler.passes import canonicalize
from onnx import helper
from onnx_builders import make_model, save

from imcsim.cli import main
from imcsim.config import load_arch
from imcsim.errors import ImcsimError
from imcsim.functional.activity import measure_activity
from imcsim.sim import count_actions


@pytest.fixture()
def one_row_model(tmp_path):
    """x[1, 4] @ W[4, 2] with W's first row (1, −1) and an input that drives row 0 only."""
    w = np.array([[1.0, -1.0], [0.5, 0.25], [-0.5, 0.5], [0.25, -0.25]], dtype=np.float32)
    node = helper.make_node("MatMul", ["x", "w"], ["y"])
    path = save(make_model([node], [("x", [1, 4])], ["y"], [("w", w)]), tmp_path / "m.onnx")
    feeds = tmp_path / "x.npz"
    np.savez(feeds, x=np.array([[3.0, 0.0, 0.0, 0.0]], dtype=np.float32))
    return path, feeds


def test_measured_activity_by_hand(one_row_model):
    """x = (3, 0, 0, 0) is non-negative: 8 magnitude bits, x_int = (255, 0, 0, 0), so every
    one of the 8 cycles drives 1 of 4 rows: activity 0.25 per cycle.
    Row 0 holds ±127 (per-column scale) = 0b01111111 → 2-bit slices (3, 3, 3, 1) on the G+
    column of output 0 and the G− column of output 1, 0 elsewhere: mean level 20 / 16 =
    1.25 over its 16 columns. rram_128: ΔG = (10 µS − 1 µS) / 3 = 3 µS, G = 1 + 1.25·3 =
    4.75 µS, G_ref = 5.5 µS → g = 0.8636.
    Counts: high DAC pulses = 8 · 0.25 · 4 rows = 8; cell pulses = 8 · 128 columns · g."""
    path, feeds = one_row_model
    arch = load_arch("rram_128")
    activity = measure_activity(path, arch, str(feeds), samples=1)
    (name, act), = activity.items()
    assert act.bits == pytest.approx((0.25,) * 8)
    assert act.g_ratio == pytest.approx(4.75 / 5.5)
    assert not act.signed
    net = canonicalize(import_onnx(path))
    m = map_network(net, arch.array_spec(), "none")
    counts = count_actions(net, m, arch, activity)[name].counts
    assert counts["dac"] == pytest.approx(8)
    assert counts["crossbar"] == pytest.approx(8 * 128 * 4.75 / 5.5)


def test_an_npz_that_does_not_fit_the_model_is_refused(one_row_model, tmp_path):
    path, _ = one_row_model
    bad = tmp_path / "bad.npz"
    np.savez(bad, image=np.zeros((1, 4), dtype=np.float32))
    with pytest.raises(ImcsimError, match="no array named 'x'"):
        measure_activity(path, load_arch("rram_128"), str(bad), samples=1)


def test_compile_reports_measured_activity(one_row_model, tmp_path):
    path, feeds = one_row_model
    out = tmp_path / "r.json"
    assert main(["compile", str(path), "--activity-from", str(feeds), "--samples", "1",
                 "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["energy"]["activity"].startswith("measured: x.npz, 1 samples")
    assert sum(r["energy_j"] for r in report["layers"]) == pytest.approx(
        report["energy"]["total_j"])

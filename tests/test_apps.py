"""The review's crossbar applications (issue #14, first increment: kmeans, edge, maxcut).

Expected values come from outside the code: scikit-learn (nearest centroids, K-means,
the adjusted Rand index), scipy.ndimage (the convolution), networkx (cut sizes), hand
counts (the maximum cuts of small named graphs, device-update pulses), and properties
the papers state (noise degrades clustering and images; annealed noise helps the Hopfield
network escape local minima)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import imcsim
from imcsim import apps
from imcsim.apps.clustering import _inputs, _matrix, load_dataset
from imcsim.apps.engine import AnalogMatrix, DeviceUpdate
from imcsim.apps.hopfield import brute_force, cuts
from imcsim.apps.images import KERNELS, load_image, patches
from imcsim.cli import main
from imcsim.errors import ImcsimError

# fine converters and weights: the hardware should agree with float closely
PRECISE = {"adc.bits": 10, "precision.weight_bits": 12, "precision.input_bits": 12}
NOISY = {"nonideal.prog_noise": 0.3, "nonideal.read_noise": 0.3, "adc.bits": 3}


def test_the_analog_matrix_computes_a_product_as_numpy_does():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((7, 30))
    x = rng.standard_normal((5, 30))
    m = AnalogMatrix(a, imcsim.load_arch("rram_128", set=PRECISE), seed=0)
    y = m(x)
    assert np.linalg.norm(y - x @ a.T) / np.linalg.norm(x @ a.T) < 0.01
    assert m.mvms == 5 and m.energy_j == pytest.approx(5 * m.mvm_energy_j)
    assert m(x[0]).shape == (7,) and m.mvms == 6
    with pytest.raises(ImcsimError, match="NaN or infinite"):
        AnalogMatrix(np.array([[1.0, math.nan]]), imcsim.load_arch("rram_128"), 0)


def test_device_updates_fire_whole_pulses_as_counted_by_hand():
    """Range [0, 1], 1/64 per pulse: asking for +0.1 from 0.5 fires round(6.4) = 6 pulses;
    linear: 0.5 + 6/64; ν = 2: each step shrinks by exp(−2·0.5) = e⁻¹ (potentiation at
    u = 0.5), and depression from 0.5 likewise; a step beyond the range stops at its end."""
    rng = np.random.default_rng(0)
    w, n = DeviceUpdate(1 / 64).apply(np.array([0.5]), np.array([0.1]), 0.0, 1.0, rng)
    assert n == 6 and w[0] == pytest.approx(0.5 + 6 / 64)
    w, _ = DeviceUpdate(1 / 64, nonlinearity=2.0).apply(np.array([0.5, 0.5]),
                                                         np.array([0.1, -0.1]), 0.0, 1.0, rng)
    np.testing.assert_allclose(w, [0.5 + 6 / 64 / math.e, 0.5 - 6 / 64 / math.e])
    w, _ = DeviceUpdate(1 / 64).apply(np.array([0.95]), np.array([0.5]), 0.0, 1.0, rng)
    assert w[0] == 1.0
    # cycle-to-cycle spread: the mean step is kept, its spread is c2c / √pulses of it
    many = np.full(20000, 0.5)
    w, _ = DeviceUpdate(1 / 64, c2c=0.4).apply(many, np.full(20000, 0.1), 0.0, 1.0, rng)
    step = w - 0.5
    assert step.mean() == pytest.approx(6 / 64, rel=0.01)
    assert step.std() == pytest.approx(0.4 / math.sqrt(6) * 6 / 64, rel=0.05)
    with pytest.raises(ImcsimError, match="update c2c = nan"):
        DeviceUpdate(c2c=math.nan)


def test_the_distance_engine_finds_scikit_learns_nearest_centroids():
    """With scikit-learn's K-means centroids in the array, the engine's argmin of
    −2u·W + ‖W‖² picks sklearn's pairwise_distances_argmin for (almost) every iris sample."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import pairwise_distances_argmin

    x, _ = load_dataset("iris")
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    w = KMeans(3, n_init=1, random_state=0).fit(x).cluster_centers_
    engine = AnalogMatrix(_matrix(w), imcsim.load_arch("rram_128", set=PRECISE), seed=0)
    hw = np.argmin(engine(_inputs(x)), axis=1)
    assert np.mean(hw == pairwise_distances_argmin(x, w)) >= 0.98


def test_kmeans_on_precise_hardware_follows_float_and_noise_degrades_it():
    """ARIs from scikit-learn; precise hardware labels ≥ 95 % of samples as the float run
    does (same seed, same order), and its ARI is within 0.05 of float's; programming and
    read noise with 3-bit ADCs agree less with float, on average over three seeds."""
    from sklearn.metrics import adjusted_rand_score

    r = apps.kmeans("rram_128", set=PRECISE, seed=2)
    _, labels = load_dataset("iris")
    assert r.app.hw == pytest.approx(adjusted_rand_score(labels, r.outputs["labels_hw"]))
    assert np.mean(r.outputs["labels_hw"] == r.outputs["labels_float"]) >= 0.95
    assert abs(r.app.gap) <= 0.05
    assert r.app.details.sklearn_ari > 0.4  # scikit-learn's own K-means on iris
    agree = {}
    for name, sets in (("precise", PRECISE), ("noisy", NOISY)):
        agree[name] = np.mean([adjusted_rand_score(
            run.outputs["labels_float"], run.outputs["labels_hw"])
            for run in (apps.kmeans("rram_128", set=sets, seed=s, epochs=3) for s in range(3))])
    assert agree["noisy"] < agree["precise"]


def test_edges_match_scipy_and_read_noise_lowers_the_psnr():
    from scipy import ndimage

    img = load_image("china")
    x = patches(img)  # the float pipeline is scipy's correlation, exactly
    np.testing.assert_allclose((x @ KERNELS["sobel"][0].ravel()).reshape(img.shape),
                               ndimage.correlate(img, KERNELS["sobel"][0], mode="reflect"),
                               atol=1e-12)
    precise = apps.edge("rram_128", set=PRECISE, image="china")
    assert precise.app.hw >= 40 and precise.app.details.rel_error_hw < 0.01
    ref = precise.outputs["reference"]
    assert np.linalg.norm(precise.image - ref) / np.linalg.norm(ref) == pytest.approx(
        precise.app.details.rel_error_hw)
    psnr = [apps.edge("rram_128", set={"nonideal.read_noise": n}, image="china",
                      kernel="laplacian").app.hw for n in (0.0, 0.05, 0.2)]
    assert psnr[0] > psnr[1] > psnr[2]


@pytest.mark.parametrize(("graph", "best"), [
    ("complete 5", 6),  # K5: 2 + 3 nodes, 2·3 edges cross
    ("cycle 5", 4),  # an odd cycle: all but one edge
    ("petersen", 12),  # the Petersen graph's maximum cut
    ("bipartite 3 4", 12),  # complete bipartite: every edge
])
def test_brute_force_finds_the_known_maximum_cuts(graph, best):
    import networkx as nx

    kind, *args = graph.split()
    g = {"complete": nx.complete_graph, "cycle": nx.cycle_graph,
         "petersen": lambda: nx.petersen_graph(),
         "bipartite": nx.complete_bipartite_graph}[kind](*map(int, args))
    adj = nx.to_numpy_array(g)
    assert brute_force(adj) == best
    rng = np.random.default_rng(1)
    s = rng.choice([-1.0, 1.0], size=(20, len(adj)))
    assert list(cuts(adj, s)) == [nx.cut_size(g, {i for i in g if s[t, i] > 0}) for t in range(20)]


def test_maxcut_reaches_the_optimum_and_annealed_noise_helps():
    """A 20-node graph (optimum by brute force): precise hardware succeeds about as often as
    float; without added noise the network sticks in local minima more often (Cai et al.)."""
    annealed = apps.maxcut("rram_128", set=PRECISE, nodes=20, trials=200, seed=1)
    d = annealed.app.details
    assert d.optimum == brute_force(annealed.outputs["adjacency"])
    assert d.best_cut_hw == d.optimum and annealed.outputs["cuts_hw"].max() == d.optimum
    assert abs(d.success_hw - d.success_float) <= 0.1
    quenched = apps.maxcut("rram_128", set=PRECISE, nodes=20, trials=200, seed=1,
                           noise=(0.0, 0.0))
    assert quenched.app.details.success_float < d.success_float
    assert quenched.app.float < annealed.app.float
    # time and energy to solution: one trial's × ln(0.01)/ln(1 − p)
    p = d.success_hw
    assert d.time_to_solution_s == pytest.approx(
        annealed.app.time_s / 200 * math.log(0.01) / math.log(1 - p))


def test_app_cli_list_json_out_and_determinism(tmp_path, capsys):
    from PIL import Image

    assert main(["app", "list"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in ("kmeans", "pca", "sparse-coding", "dct", "edge",
                                           "maxcut", "cs"))
    out, js = tmp_path / "edges.png", tmp_path / "e.json"
    assert main(["app", "edge", "--image", "china", "--kernel", "prewitt", "--out", str(out),
                 "--json", str(js), "--quiet"]) == 0
    with Image.open(out) as im:
        assert im.size == (640, 427)
    data = json.loads(js.read_text())["app"]
    assert data["name"] == "edge" and data["analog_mvms"] == 640 * 427
    runs = []
    for k in range(2):
        path = tmp_path / f"m{k}.json"
        assert main(["app", "maxcut", "--nodes", "16", "--trials", "20", "--seed", "5",
                     "--noise-anneal", "0.2..0", "--json", str(path), "--quiet"]) == 0
        runs.append(json.loads(path.read_text())["app"])
    assert runs[0] == runs[1]
    assert runs[0]["details"]["noise_start"] == 0.2


@pytest.mark.parametrize(("argv", "expect"), [
    (["app", "sorting"], "invalid choice"),
    (["app", "kmeans", "--dataset", "mnist"], "--dataset mnist: choose one of"),
    (["app", "kmeans", "--rate", "nan"], "--rate nan: the learning rate"),
    (["app", "edge", "--epochs", "3"], "--epochs: an option of 'imcsim app kmeans'"),
    (["app", "pca", "--clusters", "3"], "--clusters: an option of 'imcsim app kmeans', not of pca"),
    (["app", "pca", "--components", "30"], "--components 30: must be 1–29"),
    (["app", "edge", "--image", "NOTES"], "not a readable PNG/JPEG image"),
    (["app", "maxcut", "--noise-anneal", "0.3"], "is not START..END"),
    (["app", "maxcut", "--nodes", "3"], "--nodes 3: must be 4–2000"),
    (["app", "maxcut", "--density", "inf"], "--density inf: must be in (0, 1]"),
    (["app", "sparse-coding", "--patches", "3x4"], "is not a square patch size"),
    (["app", "dct", "--keep", "0"], "--keep 0.0: the fraction of coefficients kept"),
    (["app", "dct", "--block", "5"], "--block 5: choose 4, 8, 16 or 32"),
    (["app", "cs", "--m", "300"], "--m 300: measurements must be 2–n (256)"),
    (["app", "kmeans", "--image", "china"], "--image: an option of 'imcsim app sparse-coding'"),
])
def test_app_errors_are_one_line(tmp_path, capsys, monkeypatch, argv, expect):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "NOTES").write_text("not an image\n")
    out = tmp_path / "never.png"
    argv = [*argv, "--out", str(out)] if argv[1] in ("edge", "dct") else argv
    if expect == "invalid choice" or "START" in expect or "square" in expect:  # argparse's
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 2
    else:
        assert main(argv) == 2
    err = capsys.readouterr().err
    assert expect in err and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()



def test_stochastic_rounding_keeps_sub_pulse_changes_on_average():
    """Asking for 0.3 of a pulse fires one pulse 30 % of the time: the mean change is the
    one asked for; nearest rounding would never move."""
    rng = np.random.default_rng(3)
    ask = np.full(40000, 0.3 / 64)
    w, pulses = DeviceUpdate(1 / 64, stochastic=True).apply(np.full(40000, 0.5), ask, 0.0,
                                                            1.0, rng)
    assert pulses / 40000 == pytest.approx(0.3, abs=0.01)
    assert (w - 0.5).mean() == pytest.approx(0.3 / 64, rel=0.03)
    w, pulses = DeviceUpdate(1 / 64).apply(np.full(4, 0.5), ask[:4], 0.0, 1.0, rng)
    assert pulses == 0 and (w == 0.5).all()


def test_pca_learns_scikit_learns_subspace_and_noise_blurs_it():
    """Sanger's rule in float ends within 10° of scikit-learn's 2-D PCA subspace (principal
    angles, scipy) on breast_cancer; on precise hardware within 15°, and its classifier is
    within 0.05 of the one on scikit-learn's projection; 3-bit ADCs with programming and
    read noise blur the projections the classifier sees, and it does worse."""
    precise = apps.pca("rram_128", set=PRECISE, seed=0)
    d = precise.app.details
    assert d.max_angle_float_deg < 10 and d.max_angle_hw_deg < 15
    assert abs(precise.app.hw - d.sklearn_accuracy) <= 0.05
    from scipy.linalg import subspace_angles

    ref = precise.outputs["components_sklearn"]
    assert max(np.degrees(subspace_angles(precise.outputs["components_hw"].T, ref.T))) == \
        pytest.approx(d.max_angle_hw_deg)
    noisy = apps.pca("rram_128", set=NOISY, seed=0)
    assert noisy.app.hw < precise.app.hw


@pytest.mark.parametrize("sets", [PRECISE, {**PRECISE, "adc.range": "calibrated"},
                                  {**PRECISE, "precision.signed_scheme": "offset"}])
def test_a_transposed_read_computes_the_transpose_as_numpy_does(sets):
    """Aᵀ·y through the same programmed cells, inputs on the columns (per slice, per
    array), the rows sensed by their own converters: within 1 % of NumPy on precise
    hardware, whichever signed scheme and ADC ranges."""
    rng = np.random.default_rng(4)
    a = rng.standard_normal((150, 200))
    m = AnalogMatrix(a, imcsim.load_arch("rram_128", set=sets), seed=0)
    y = rng.standard_normal((3, 150))
    assert np.linalg.norm(m.transposed(y) - y @ a) / np.linalg.norm(y @ a) < 0.01
    assert m.mvms == 3


def test_a_transposed_read_shares_the_cells_programming_errors():
    """Programming noise is drawn once: the forward and the transposed read see the same
    cells, so A·e_j (column j) read forwards matches row j of the transposed reads of the
    unit vectors far better than two separately programmed arrays would."""
    rng = np.random.default_rng(5)
    a = rng.standard_normal((20, 30))
    arch = imcsim.load_arch("rram_128", set={**PRECISE, "nonideal.prog_noise": 0.2})
    m = AnalogMatrix(a, arch, seed=0)
    forward = m(np.eye(30)).T  # column j: what the cells hold for input j
    backward = m.transposed(np.eye(20))  # row i: Aᵀ·e_i as read backwards
    other = AnalogMatrix(a, arch, seed=1)(np.eye(30)).T
    same = np.linalg.norm(forward - backward) / np.linalg.norm(a)
    different = np.linalg.norm(other - backward) / np.linalg.norm(a)
    assert same < 0.02 < different


def test_dct_follows_scipy_and_noise_lowers_the_psnr():
    from scipy.fft import dctn, idctn

    from imcsim.apps.transform import _blocks, _two_pass, dct_matrix, ssim

    img = load_image("china")
    x = _blocks(img, 8)[:50]
    d = dct_matrix(8)
    y = _two_pass(lambda v: v @ d.T, x)
    np.testing.assert_allclose(y, np.stack([dctn(b, norm="ortho") for b in x]), atol=1e-12)
    np.testing.assert_allclose(_two_pass(lambda v: v @ d, y),
                               np.stack([idctn(b, norm="ortho") for b in y]), atol=1e-12)
    assert ssim(img, img) == pytest.approx(1.0)
    noisy = img + np.random.default_rng(0).normal(0, 0.05, img.shape)
    assert ssim(img, noisy) == pytest.approx(ssim(noisy, img)) and ssim(img, noisy) < 0.9
    everything = apps.dct("rram_128", set=PRECISE, keep=1.0)  # nothing dropped: lossless
    assert everything.app.float > 250  # the float pipeline gives the image back (rounding)
    assert everything.app.hw > 40
    precise = apps.dct("rram_128", set=PRECISE)
    assert precise.app.details.psnr_hw_vs_float_db > 40
    psnr = [apps.dct("rram_128", set={"nonideal.read_noise": n}).app.hw for n in (0.0, 0.05, 0.2)]
    assert psnr[0] > psnr[1] > psnr[2]


def test_cs_recovers_the_signal_and_read_noise_degrades_it():
    """n = 256, m = 128, 13 non-zeros: inside the AMP phase transition, so float AMP
    recovers the signal (NMSE < −60 dB); precise hardware < −40 dB with the same operator
    forwards and backwards; read noise makes it worse, more noise worse still."""
    precise = apps.cs("rram_128", set=PRECISE)
    assert precise.app.float < -60 and precise.app.hw < -40
    assert precise.app.analog_mvms == 1 + 2 * 30  # the measurement, then Φ and Φᵀ per step
    nmse = [apps.cs("rram_128", set={**PRECISE, "nonideal.read_noise": n}).app.hw
            for n in (0.0, 0.02, 0.1)]
    assert nmse[0] < nmse[1] < nmse[2]


def test_sparse_coding_reaches_the_lasso_optimum_of_scikit_learn():
    """The LCA's fixed point solves the lasso: in float its objective is within 2 % of
    scikit-learn's SparseCoder (lasso_lars, the same λ), and on precise hardware within 2 %
    of float's."""
    r = apps.sparse_coding("rram_128", set=PRECISE, samples=40, steps=80, rate=0.1)
    d = r.app.details
    assert d.objective_float == pytest.approx(d.objective_sklearn, rel=0.02)
    assert d.objective_hw == pytest.approx(d.objective_float, rel=0.02)
    x, dic = r.outputs["patches"], r.outputs["dictionary"]
    err = np.mean(np.linalg.norm(x - r.outputs["codes_hw"] @ dic.T, axis=1)
                  / np.linalg.norm(x, axis=1))
    assert r.app.hw == pytest.approx(err)


def test_an_application_sweeps_like_a_model(tmp_path, capsys):
    """`imcsim sweep app:cs`: every point is the application run with that point's config
    (the same numbers `imcsim.apps.cs` gives), judged by its quality the right way up and
    its energy; the best point's reproduce line is an `imcsim app` command; the Python
    sweep API takes it too."""
    out = tmp_path / "s"
    assert main(["sweep", "app:cs", "--grid", "nonideal.read_noise=0,0.05", "--out", str(out),
                 "--workers", "1", "--quiet"]) == 0
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(records) == 2 and all(r["status"] == "ok" for r in records)
    for r in records:
        noise = r["config"]["nonideal.read_noise"]
        direct = apps.cs("rram_128", set={"nonideal.read_noise": noise})
        assert r["app"]["hw"] == direct.app.hw and r["app"]["energy_j"] == direct.app.energy_j
    definition = json.loads((out / "sweep.json").read_text())
    assert definition["sweep"]["objectives"] == ["app.hw:min", "app.energy_j:min"]  # NMSE
    assert main(["report", str(out)]) == 0
    assert "imcsim app cs --arch rram_128 --set nonideal.read_noise=0 --seed 0" in \
        capsys.readouterr().out
    result = imcsim.sweep("app:kmeans", grid={"nonideal.prog_noise": [0.0, 0.4]}, workers=1,
                          overrides=["precision.input_bits=8"], plots=False)
    assert [r["app"]["name"] for r in result.records] == ["kmeans", "kmeans"]
    assert result.objectives == ["app.hw:max", "app.energy_j:min"]  # the Rand index


@pytest.mark.parametrize(("argv", "expect"), [
    (["sweep", "app:sorting", "--grid", "adc.bits=4,5"], "app:sorting: no such application"),
    (["sweep", "app:cs", "--cycle", "--grid", "adc.bits=4,5"], "an application is swept on its"),
    (["sweep", "app:cs", "--grid", "adc.bits=4,5", "--objectives", "energy.total_j:min"],
     "not a numeric column of an application's results (did you mean app.energy_j?)"),
])
def test_app_sweep_errors_are_one_line(tmp_path, capsys, argv, expect):
    assert main([*argv, "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert expect in err and err.count("\n") == 1
    assert not (tmp_path / "s").exists()


def test_a_sweep_file_names_an_application(tmp_path):
    (tmp_path / "sub").mkdir()
    spec = tmp_path / "sub" / "s.yaml"
    spec.write_text("model: app:cs\ngrid:\n  adc.bits: [4, 6]\n")
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o"), "--workers", "1",
                 "--quiet"]) == 0
    records = [json.loads(x) for x in (tmp_path / "o" / "results.jsonl").read_text().splitlines()]
    assert [r["app"]["name"] for r in records] == ["cs", "cs"]
    assert records[0]["app"]["hw"] > records[1]["app"]["hw"]  # 6-bit ADCs recover better


def test_maxcut_traces_the_mean_cut_sweep_by_sweep():
    """The trace starts at the random spins' mean cut and ends at the final one; quenched
    (no added noise) the network only ever descends in energy, so the mean cut never falls
    from one sweep to the next in float."""
    r = apps.maxcut("rram_128", nodes=16, trials=30, sweeps=6, seed=2, noise=(0.0, 0.0))
    trace = r.outputs["trace_float"]
    assert len(trace) == 7 and len(r.outputs["trace_hw"]) == 7
    assert trace[-1] == pytest.approx(r.outputs["cuts_float"].mean())
    assert np.all(np.diff(trace) >= -1e-9)


def test_the_readme_pictures_redraw(tmp_path):
    """examples/04_app_figures.py draws the README's three pictures (into a temporary
    folder here)."""
    import subprocess
    import sys
    from pathlib import Path

    from PIL import Image

    script = Path(__file__).resolve().parents[1] / "examples" / "04_app_figures.py"
    run = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True,
                         text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    for name, width in (("dct.png", 960), ("edges.png", 720), ("maxcut.png", 480)):
        with Image.open(tmp_path / name) as im:
            assert im.size[0] == width


def test_small_flat_and_huge_inputs_get_one_line_errors(tmp_path, capsys):
    """A 40×40 image codes with the patches it has; a flat one (no structure, no edges),
    one smaller than a patch, and a matrix beyond the simulated cell budget are refused in
    one line."""
    from PIL import Image

    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((40, 40)) * 255).astype(np.uint8)).save(tmp_path / "small.png")
    Image.fromarray(np.full((40, 40), 128, np.uint8)).save(tmp_path / "flat.png")
    Image.fromarray((rng.random((6, 6)) * 255).astype(np.uint8)).save(tmp_path / "tiny.png")
    small = apps.sparse_coding("rram_128", image=str(tmp_path / "small.png"), samples=20,
                               steps=10)
    assert small.app.details.samples == 20
    for argv, expect in (
            (["sparse-coding", "--image", str(tmp_path / "flat.png")], "every patch is flat"),
            (["sparse-coding", "--image", str(tmp_path / "tiny.png")],
             "6×6 is smaller than one 8×8 patch"),
            (["edge", "--image", str(tmp_path / "flat.png")], "has no edges"),
            (["cs", "--n", "8192", "--m", "6000"], "more than the 200,000,000 simulated")):
        assert main(["app", *argv, "--quiet"]) == 2
        err = capsys.readouterr().err
        assert expect in err and err.count("\n") == 1, err


def test_an_application_on_a_model_axis_and_its_details_as_objectives(tmp_path, capsys):
    """`--grid model=app:cs` is the application too (its report re-analysis keeps its
    NMSE minimised), and an `app.details.*` column can be an objective."""
    out = tmp_path / "g"
    assert main(["sweep", "--grid", "model=app:cs", "--grid", "adc.bits=4,6", "--out", str(out),
                 "--workers", "1", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["report", str(out)]) == 0
    assert "best app.hw): imcsim app cs --arch rram_128 --set adc.bits=6" in \
        capsys.readouterr().out
    assert main(["report", str(out), "--objectives",
                 "app.details.support_recovered_hw:max,app.hw:min"]) == 0

"""The Python API (issue #11): the functions the CLI is built on, their report objects, and
that the CLI's JSON is the API's report."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from onnx_builders import REPO, TINY_CNN

import imcsim
from imcsim.errors import ImcsimError


def test_overrides_as_python_values_or_as_text_give_the_same_config():
    """1e9 as a Python float must stay a float (YAML 1.1 would read the text '1e9' as a
    string); both spellings build the same config."""
    a = imcsim.load_arch("rram_128", set={"adc.bits": 5, "technology.clock_hz": 1e9,
                                          "readout.current_mode": True})
    b = imcsim.load_arch("rram_128", set=["adc.bits=5", "technology.clock_hz=1.0e9",
                                          "readout.current_mode=true"])
    assert (a.adc.bits, a.technology.clock_hz, a.readout.current_mode) == (5, 1e9, True)
    assert a == b
    with pytest.raises(ImcsimError, match="no such key 'adc.bitz'"):
        imcsim.load_arch("rram_128", set={"adc.bitz": 5})
    with pytest.raises(ImcsimError, match="not one string"):
        imcsim.load_arch("rram_128", set="adc.bits=5")


def test_compile_report_sections_layers_and_dataframe():
    rep = imcsim.compile(TINY_CNN, "rram_128")
    assert rep.kind == "compile" and rep.energy.total_j == rep["energy"]["total_j"] > 0
    # tiny_cnn: conv1 3→16 3×3 on 16×16 (36,864 MACs … the front end's count is tested
    # against PyTorch elsewhere); here: the layers add up to the model line
    crossbar = [r for r in rep.layers if r["kind"] in ("conv", "gemm")]
    assert sum(r["macs"] for r in crossbar) == rep.model.macs
    assert sum(r["energy_j"] for r in rep.layers) == pytest.approx(rep.energy.total_j)
    assert rep.energy.tops_per_w == pytest.approx(2 * rep.model.macs / rep.energy.total_j / 1e12)
    pd = pytest.importorskip("pandas")
    df = rep.to_dataframe()
    assert isinstance(df, pd.DataFrame) and len(df) == len(rep.layers)
    energy_cols = [c for c in df.columns if c.startswith("energy.")]
    assert df[energy_cols].fillna(0).sum(axis=1).to_numpy() == pytest.approx(
        df["energy_j"].to_numpy())
    with pytest.raises(AttributeError, match="no 'tops_per_watt' here"):
        _ = rep.energy.tops_per_watt


def test_report_renders_as_text_and_html_and_writes_json(tmp_path):
    model = tmp_path / "tiny_cnn.onnx"  # a copy: the test tries to write onto it
    model.write_bytes(TINY_CNN.read_bytes())
    arch = tmp_path / "a.yaml"
    arch.write_text((REPO / "arch_configs" / "isaac.yaml").read_text())
    rep = imcsim.compile(model, arch)
    assert "tiny_cnn" in str(rep) and "Summary" in str(rep)
    assert rep._repr_html_().lstrip().lower().startswith("<!doctype html")
    out = tmp_path / "r.json"
    text = rep.to_json(out)
    assert json.loads(out.read_text()) == json.loads(text) == rep.to_dict()
    for source in (model, arch):
        before = source.read_bytes()
        with pytest.raises(ImcsimError, match="is an input of this run"):
            rep.to_json(source)
        assert source.read_bytes() == before


def test_the_cli_json_is_the_api_report(tmp_path):
    """One code path: `imcsim compile --json` writes exactly compile(...).to_dict()."""
    out = tmp_path / "c.json"
    subprocess.run([sys.executable, "-m", "imcsim", "compile", str(TINY_CNN), "--arch", "isaac",
                    "--set", "adc.bits=6", "--json", str(out)], check=True, capture_output=True)
    api = imcsim.compile(TINY_CNN, "isaac", set={"adc.bits": 6}).to_dict()
    cli = json.loads(out.read_text())
    assert cli["imcsim"].pop("command") == ["imcsim", "compile", str(TINY_CNN), "--arch",
                                            "isaac", "--set", "adc.bits=6", "--json", str(out)]
    assert cli == api


def test_the_json_reproduces_its_own_run(tmp_path):
    """The provenance is enough to rerun: the resolved config written back as a YAML file
    gives the same energy, area and latency; the model's SHA-256 is hashlib's of the file."""
    import hashlib

    import yaml

    out = tmp_path / "c.json"
    subprocess.run([sys.executable, "-m", "imcsim", "compile", str(TINY_CNN), "--set",
                    "adc.bits=5", "--set", "array.rows=64", "--set", "readout.current_mode=true",
                    "--json", str(out)], check=True, capture_output=True)
    first = json.loads(out.read_text())
    prov = first["imcsim"]
    assert prov["version"] == imcsim.__version__ and prov["schema_version"] >= 1
    assert prov["inputs"] == [{"path": str(TINY_CNN), "bytes": TINY_CNN.stat().st_size,
                               "sha256": hashlib.sha256(TINY_CNN.read_bytes()).hexdigest()}]
    assert prov["config"]["adc"]["bits"] == 5 and prov["config"]["array"]["rows"] == 64
    arch = tmp_path / "resolved.yaml"
    arch.write_text(yaml.safe_dump(prov["config"]))
    again = imcsim.compile(TINY_CNN, arch)
    for section, key in (("energy", "total_j"), ("area", "total_mm2"),
                         ("performance", "latency_s")):
        assert again[section][key] == first[section][key]


def test_activity_needs_the_models_file_and_peak_needs_no_model():
    net = imcsim.load_model(TINY_CNN)
    assert net.source == str(TINY_CNN)
    rep = imcsim.compile(net, "rram_128", activity_from="random", samples=2, seed=3)
    assert rep.energy.activity.startswith("measured")
    net.source = None
    with pytest.raises(ImcsimError, match="activity_from needs the model's file"):
        imcsim.compile(net, "rram_128", activity_from="random")
    p = imcsim.peak("isaac")
    assert p.kind == "arch" and p.performance.peak_tops > 0
    assert REPO.joinpath("models", "tiny_cnn.onnx").exists()


def test_version_is_the_packages():
    """`imcsim --version` and imcsim.__version__ are pyproject.toml's version."""
    import tomllib

    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    r = subprocess.run([sys.executable, "-m", "imcsim", "--version"], capture_output=True,
                       text=True, check=True)
    assert r.stdout.strip() == f"imcsim {version}" and imcsim.__version__ == version


NOS4 = REPO / "tests" / "fixtures" / "matrices" / "nos4.mtx"
KARATE = REPO / "tests" / "fixtures" / "matrices" / "karate.mtx"


def _cli_json(*argv: str) -> dict:
    r = subprocess.run([sys.executable, "-m", "imcsim", *argv, "--json", "-"],
                       capture_output=True, text=True)
    data = json.loads(r.stdout)
    data["imcsim"].pop("command")
    return data


def test_sparse_solve_pagerank_from_python_are_the_cli_reports():
    """One code path: each function's report is the CLI's --json (less the command line)."""
    cases = [
        (imcsim.sparse(NOS4, "rram_22nm", strategy="block"),
         ("sparse", str(NOS4), "--arch", "rram_22nm", "--strategy", "block")),
        (imcsim.solve(NOS4, None, "rram_128", method="gmres-ir", set=["adc.range=calibrated"]),
         ("solve", str(NOS4), "--method", "gmres-ir", "--set", "adc.range=calibrated")),
        (imcsim.pagerank(KARATE, "rram_128", set={"array.cell_bits": 6}, tol=0.05),
         ("pagerank", str(KARATE), "--set", "array.cell_bits=6", "--tol", "0.05")),
    ]
    for report, argv in cases:
        assert report.to_dict() == _cli_json(*argv), argv


def test_solve_takes_arrays_and_returns_x():
    """A scipy matrix and a vector b in, x out: against SciPy's direct solution."""
    import numpy as np
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla

    a = sp.diags([-1.0, 4.0, -1.0], [-1, 0, 1], (60, 60), format="csr")
    b = np.random.default_rng(3).standard_normal(60)
    rep = imcsim.solve(a, b, "rram_128", method="refine", tol=1e-8)
    exact = spla.spsolve(a.tocsc(), b)
    assert rep.ok and rep.converged and rep.rhs == "b given"
    assert np.linalg.norm(rep.x - exact) / np.linalg.norm(exact) < 1e-6
    with pytest.raises(ImcsimError, match="b: has 3 values, the matrix has 60 rows"):
        imcsim.solve(a, np.ones(3), "rram_128")
    with pytest.raises(ImcsimError, match="--method lu: choose"):
        imcsim.solve(a, b, method="lu")
    sweep = imcsim.solve(a, None, "rram_128", method="bitslice", slices=3)
    assert sweep.x is None and [r["slices"] for r in sweep.slices][-1] == 3

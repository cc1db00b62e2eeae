"""Outputs never destroy anything: not an input of the run, not a link, a device, a FIFO
or a directory; '-' only where stdout is meant; files get the user's umask."""

from __future__ import annotations

import math
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "models" / "tiny_cnn.onnx"
NOS4 = REPO / "tests" / "fixtures" / "matrices" / "nos4.mtx"


def _imcsim(*argv, cwd=None):
    return subprocess.run([sys.executable, "-m", "imcsim", *map(str, argv)], capture_output=True,
                          text=True, cwd=cwd)


def _refused(r, *words):
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "Traceback" not in r.stderr and all(w in r.stderr for w in words), r.stderr


@pytest.fixture()
def copies(tmp_path):
    model = tmp_path / "m.onnx"
    shutil.copy(TINY, model)
    matrix = tmp_path / "a.mtx"
    shutil.copy(NOS4, matrix)
    arch = tmp_path / "arch.yaml"
    arch.write_text("name: mine\n")
    return model, matrix, arch


def test_an_output_onto_an_input_is_refused_and_the_input_survives(copies):
    model, matrix, arch = copies
    before = {p: p.read_bytes() for p in copies}
    _refused(_imcsim("compile", model, "--json", model), "input of this run")
    _refused(_imcsim("compile", model, "--arch", arch, "--json", arch), "input of this run")
    _refused(_imcsim("solve", matrix, "--x-out", matrix), "input of this run")
    _refused(_imcsim("sparse", matrix, "--json", matrix), "input of this run")
    assert {p: p.read_bytes() for p in copies} == before


def test_links_fifos_devices_and_dash_are_refused(copies, tmp_path):
    model, _, _ = copies
    link = tmp_path / "link.json"
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    link.symlink_to(target)
    _refused(_imcsim("compile", model, "--json", link), "symbolic link")
    assert target.read_text() == "keep me"
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    _refused(_imcsim("compile", model, "--json", fifo), "not a regular file")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    _refused(_imcsim("solve", NOS4, "--x-out", "-"), "standard output")


def test_outputs_get_the_users_umask(copies, tmp_path):
    model, _, _ = copies
    out = tmp_path / "r.json"
    old = os.umask(0o022)
    try:
        assert _imcsim("compile", model, "--json", out).returncode == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o644


def test_a_sweep_report_cannot_overwrite_the_sweeps_records(tmp_path):
    out = tmp_path / "s"
    assert _imcsim("sweep", TINY, "--grid", "adc.bits=4,5", "--out", out, "--quiet",
                   "--no-plots").returncode == 0
    records = (out / "results.jsonl").read_bytes()
    _refused(_imcsim("report", out, "--html", out / "results.jsonl"), "file of the sweep folder")
    _refused(_imcsim("sweep", TINY, "--grid", "adc.bits=4,5", "--out", out, "--quiet",
                     "--json", out / "results.jsonl"), "file of the sweep folder")
    assert (out / "results.jsonl").read_bytes() == records


def test_hostile_yaml_is_refused_in_one_line(tmp_path):
    """A 'billion laughs' arch file (nine levels of nine aliases, 73 in all: 4·10⁸ nodes in a
    few hundred bytes), nesting 1,000 deep, and a 5,000-digit integer: refused at once, by
    name."""
    laughs = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    laughs += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    laughs.append("name: *a8")  # under a known key, where a type error would print it
    cases = {"laughs.yaml": "\n".join(laughs) + "\n", "deep.yaml": "a: " + "[" * 1000 + "]" * 1000,
             "digits.yaml": "array:\n  rows: " + "9" * 5000 + "\n"}
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text)
        r = _imcsim("arch", path)
        _refused(r, name)
    fine = tmp_path / "fine.yaml"
    fine.write_text("name: ok\nadc: &adc {bits: 6}\nprecision: {input_bits: 8}\n")
    assert _imcsim("arch", fine).returncode == 0


def test_negative_or_garbage_seeds_are_one_line(tmp_path):
    _refused(_imcsim("accuracy", TINY, "--samples", "2", "--seed", "-1"), "--seed")
    _refused(_imcsim("solve", NOS4, "--seed", "1e3"), "--seed")


def test_tiny_files_that_declare_huge_matrices_are_refused_before_allocating(tmp_path):
    """A 60-byte .mtx declaring 10⁹ × 10⁹, a dense .mtx header of 10⁶ × 10⁶, a .npy whose
    header says 10⁶ × 10⁶ float64 (8 TB) — each refused from its header, with a 1 GiB
    budget."""
    import numpy as np

    coo = tmp_path / "coo.mtx"
    coo.write_text("%%MatrixMarket matrix coordinate real general\n1000000000 1000000000 1\n"
                   "1 1 1.0\n")
    dense = tmp_path / "dense.mtx"
    dense.write_text("%%MatrixMarket matrix array real general\n1000000 1000000\n1.0\n")
    npy = tmp_path / "big.npy"
    with npy.open("wb") as f:  # a header that promises 10⁶ × 10⁶, and no data
        np.lib.format.write_array_header_1_0(
            f, {"descr": "<f8", "fortran_order": False, "shape": (1_000_000, 1_000_000)})
    env = {**os.environ, "IMCSIM_MAX_MEMORY": str(1 << 30)}
    for path in (coo, dense, npy):
        r = subprocess.run([sys.executable, "-m", "imcsim", "sparse", str(path)],
                           capture_output=True, text=True, env=env)
        _refused(r, "memory budget")


def test_samples_that_would_not_fit_in_memory_are_refused_at_once():
    _refused(_imcsim("accuracy", TINY, "--samples", "1000000000"), "memory budget")


def test_a_corrupt_npz_and_a_bad_sweep_seed_are_one_line(tmp_path):
    bad = tmp_path / "m.npz"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    _refused(_imcsim("sparse", bad), "corrupt")
    sweep = tmp_path / "s.yaml"
    sweep.write_text(f"model: {TINY}\ngrid:\n  adc.bits: [4, 5]\nsamples: 1\nseed: -1\n")
    _refused(_imcsim("sweep", sweep, "--out", tmp_path / "o"), "seed")


def test_names_from_files_reach_the_terminal_escaped(tmp_path):
    """A node named '[/]evil<ESC>[31m…<newline>imcsim: error: forged' (rich markup, a colour
    code, a forged error line): the report prints, escaped; nothing is interpreted."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper, save

    evil = "[/]evil\x1b[31mred\nimcsim: error: forged"
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name=evil)], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(np.ones((8, 4), np.float32), "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = tmp_path / "evil.onnx"
    save(model, str(path))
    r = _imcsim("compile", path)
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stdout and "\\x1b[31m" in r.stdout
    assert not any(line.startswith("imcsim: error") for line in r.stdout.splitlines())


def test_unicode_digits_in_an_option_are_one_line():
    _refused(_imcsim("compile", TINY, "--duplication", "²"), "duplication")


def test_in_bound_values_that_overflow_are_one_line_and_write_nothing(tmp_path):
    """r_on = 5e-324 Ω once passed the config's bounds (> 0) and made G_on infinite, caught
    only by the report's inf/NaN check; resistances are now bounded to ≥ 1 Ω by name."""
    out = tmp_path / "r.json"
    _refused(_imcsim("compile", TINY, "--set", "array.r_on_ohm=5e-324", "--json", out),
             "array.r_on_ohm", "≥ 1 Ω")
    assert not out.exists()


def test_an_integer_with_a_leading_zero_is_refused_not_read_as_octal(tmp_path):
    """YAML 1.1 (PyYAML) reads 0200 as 2·64 = 128. A config meaning 200 rows would silently
    get 128: the loader refuses it, naming both readings; 200 and 0 stay fine."""
    from imcsim import yamlsafe

    with pytest.raises(yaml.YAMLError, match=r"line 2: 0200 .*octal \(128\).*write 200"):
        yamlsafe.load("name: x\nrows: 0200\n")
    assert yamlsafe.load("rows: 200\nzero: 0\nneg: -7\n") == {"rows": 200, "zero": 0, "neg": -7}
    path = tmp_path / "oct.yaml"
    path.write_text("name: x\narray:\n  rows: 0200\n")
    _refused(_imcsim("arch", path), "oct.yaml")


def test_a_file_name_the_system_refuses_is_one_shortened_line(tmp_path):
    """Linux file names end at 255 bytes (ENAMETOOLONG): as a model, an output or a sweep
    folder, a 300-character name is one line that shows its ends and its length."""
    long = "a" * 300
    for argv in (["compile", tmp_path / f"{long}.onnx"],
                 ["compile", TINY, "--json", tmp_path / f"{long}.json"],
                 ["sweep", TINY, "--grid", "adc.bits=4", "--out", tmp_path / long, "--quiet"]):
        r = _imcsim(*argv)
        _refused(r, "File name too long", "characters)")
        assert len(r.stderr) < 400
    assert list(tmp_path.iterdir()) == []


def test_dataset_files_and_sample_counts_are_bounded(tmp_path):
    """The digits test set holds 359 images (scikit-learn's 1,797 less the 80 % training
    split): asking for more is one line; an .npz of inputs whose declared unpacked size is
    over the memory budget is refused before it is unpacked (10 KB on disk, 10 MB inside)."""
    import numpy as np

    digits = REPO / "models" / "digits_cnn.onnx"
    _refused(_imcsim("accuracy", digits, "--dataset", "digits", "--samples", "100000"),
             "--samples 100000", "359 images")
    bomb = tmp_path / "bomb.npz"
    np.savez_compressed(bomb, input=np.zeros((20000, 1, 8, 8)))
    assert bomb.stat().st_size < 50_000
    r = subprocess.run([sys.executable, "-m", "imcsim", "accuracy", str(digits), "--dataset",
                        str(bomb), "--samples", "4"], capture_output=True, text=True,
                       env={**os.environ, "IMCSIM_MAX_MEMORY": "1000000"})
    _refused(r, "bomb.npz", "unpacks to", "memory budget")


def test_max_memory_option_sets_the_budget(tmp_path):
    """A 3000 × 3000 dense array header needs 3000² × 8 B = 72 MB (68.7 MiB): under the
    default budget (half of RAM) it loads; `--max-memory 64M` refuses it before reading."""
    dense = tmp_path / "dense.mtx"
    dense.write_text("%%MatrixMarket matrix array real general\n3000 3000\n1.0\n")
    r = _imcsim("--max-memory", "64M", "sparse", str(dense))
    _refused(r, "memory budget of 0.0625 GiB")
    for bad in ("lots", "0", "-4G", "1e30", "²G"):
        r = _imcsim(f"--max-memory={bad}", "sparse", str(dense))
        _refused(r, "not a memory size")


def test_a_report_holding_inf_is_refused_with_its_key_and_nothing_written(tmp_path):
    """The last-resort guard behind the config bounds: any inf/NaN in a report names its
    key path and writes nothing."""
    from imcsim.errors import ImcsimError
    from imcsim.report import write_json

    out = tmp_path / "r.json"
    with pytest.raises(ImcsimError, match=r"energy\.total_j, layers\[1\]\.x overflowed"):
        write_json({"energy": {"total_j": float("inf")}, "layers": [{}, {"x": math.nan}]},
                   str(out))
    assert not out.exists()

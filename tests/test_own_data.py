"""Accuracy on the user's own data (issue #11): `imcsim accuracy --data FILE|FOLDER` and
`imcsim.accuracy(net, arch, data=...)`. Expected values come from onnxruntime's float run
and from NumPy argsorts written out here; bad data is one line, exit 2, nothing written."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from onnx import helper
from onnx_builders import make_model, run_ort, save

import imcsim
from imcsim.cli import main
from imcsim.errors import DataError, ImcsimError
from imcsim.functional.datasets import digits_split

DIGITS = Path(__file__).resolve().parents[1] / "models" / "digits_cnn.onnx"


@pytest.fixture(scope="module")
def digits():
    """The 359 held-out digits (x float32 (N, 1, 8, 8) in [0, 1], y int64) and
    onnxruntime's float logits for them."""
    _, _, x, y = digits_split()
    (logits,) = run_ort(DIGITS, {"image": x})
    return x, y, logits


def top_k(logits: np.ndarray, y: np.ndarray, k: int) -> float:
    """By hand: the label is among the k largest logits."""
    best = np.argsort(-logits, axis=1)[:, :k]
    return float(np.mean([y[i] in best[i] for i in range(len(y))]))


def _run(tmp_path, *argv):
    out = tmp_path / "acc.json"
    assert main(["accuracy", str(DIGITS), *argv, "--json", str(out)]) == 0
    return json.loads(out.read_text())["accuracy"]


def test_npz_with_labels_gives_onnxruntimes_top1_and_top5(tmp_path, digits):
    """--ideal on all 359 images: float and hardware top-1 are onnxruntime's argmax against
    the labels; top-5 is the hand count above, and ≥ top-1."""
    x, y, logits = digits
    np.savez(tmp_path / "d.npz", x=x, y=y)
    acc = _run(tmp_path, "--data", str(tmp_path / "d.npz"), "--ideal")
    top1, top5 = float(np.mean(logits.argmax(1) == y)), top_k(logits, y, 5)
    assert acc["samples"] == 359 and acc["classes"] == 10
    assert acc["float_top1"] == pytest.approx(top1) and acc["hw_top1"] == pytest.approx(top1)
    assert acc["float_top5"] == pytest.approx(top5) and acc["hw_top5"] == pytest.approx(top5)
    assert top5 >= top1 > 0.97
    assert acc["dataset"] == str(tmp_path / "d.npz") and acc["preprocess"] is None


def test_hardware_metrics_are_those_of_its_saved_outputs(tmp_path, digits):
    """A lossy run (4-bit ADC) on 64 drawn samples: the saved inputs are x[index], labels
    y[index], the float outputs onnxruntime's, and every metric the hand count on them."""
    x, y, _ = digits
    np.savez(tmp_path / "d.npz", x=x, y=y)
    out = tmp_path / "o.npz"
    acc = _run(tmp_path, "--data", str(tmp_path / "d.npz"), "--samples", "64", "--seed", "2",
               "--set", "adc.bits=4", "--outputs", str(out))
    o = np.load(out)
    idx = o["index"]
    assert len(set(idx.tolist())) == 64 and idx.max() < len(y)
    np.testing.assert_array_equal(o["inputs"], x[idx])
    np.testing.assert_array_equal(o["labels"], y[idx])
    (ref,) = run_ort(DIGITS, {"image": x[idx]})
    np.testing.assert_allclose(o["float"], ref, rtol=1e-4, atol=1e-5)
    hw = o["hw"]
    assert acc["hw_top1"] == pytest.approx(np.mean(hw.argmax(1) == y[idx]))
    assert acc["hw_top5"] == pytest.approx(top_k(hw, y[idx], 5))
    assert acc["float_top5"] == pytest.approx(top_k(ref, y[idx], 5))
    assert acc["top1_agreement"] == pytest.approx(np.mean(hw.argmax(1) == ref.argmax(1)))
    norms = np.linalg.norm(ref, axis=1)
    assert acc["output_rel_error"] == pytest.approx(
        np.mean(np.linalg.norm(hw - ref, axis=1) / norms), rel=1e-3)


def test_npy_inputs_without_a_channel_axis_and_no_labels(tmp_path, capsys, digits):
    """(N, 8, 8) for the model's (N, 1, 8, 8) differs by a size-1 axis only: reshaped. No
    labels: top-1/top-5 are null, agreement with float is reported; the table explains it."""
    x, _, _ = digits
    np.save(tmp_path / "x.npy", x[:12, 0])
    acc = _run(tmp_path, "--data", str(tmp_path / "x.npy"), "--ideal")
    assert acc["float_top1"] is acc["hw_top1"] is acc["float_top5"] is None
    assert acc["top1_agreement"] == 1.0 and acc["samples"] == 12
    assert main(["accuracy", str(DIGITS), "--data", str(tmp_path / "x.npy"), "--samples", "4",
                 "--format", "csv"]) == 0
    text = capsys.readouterr().out
    assert "no labels in the data" in text and "needs no labels" in text


def _zip_with_text(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("x.txt", "1 2 3")


def _huge_npy(path: Path) -> None:
    """A header declaring 1.5625e10 × 1 × 8 × 8 = 10¹² float32 (4 TB), and no data."""
    with path.open("wb") as f:
        np.lib.format.write_array_header_1_0(
            f, {"descr": "<f4", "fortran_order": False, "shape": (15_625_000_000, 1, 8, 8)})


BAD = {  # name: (how to write it, file name, extra argv, what the one line says)
    "wrong shape": (lambda p, x, y: np.savez(p, x=np.zeros((4, 3, 8, 8), np.float32)),
                    "d.npz", (), "expects (N, 1, 8, 8)"),
    "three channels": (lambda p, x, y: np.savez(p, x=np.zeros((4, 8, 8, 3), np.float32)),
                       "d.npz", (), "expects (N, 1, 8, 8)"),
    "NaN": (lambda p, x, y: np.savez(p, x=np.where(np.arange(64).reshape(1, 1, 8, 8) == 5,
                                                   np.nan, x[:4]), y=y[:4]),
            "d.npz", (), "NaN or infinite"),
    "y out of range": (lambda p, x, y: np.savez(p, x=x[:4], y=np.array([0, 1, 10, 2])),
                       "d.npz", (), "label 10, outside 0 … 9"),
    "y negative": (lambda p, x, y: np.savez(p, x=x[:4], y=np.array([0, -1, 1, 2])),
                   "d.npz", (), "label -1"),
    "y length": (lambda p, x, y: np.savez(p, x=x[:4], y=y[:3]), "d.npz", (),
                 "3 labels for 4 samples"),
    "y float": (lambda p, x, y: np.savez(p, x=x[:4], y=y[:4].astype(float)), "d.npz", (),
                "integer class indices"),
    "y one-hot": (lambda p, x, y: np.savez(p, x=x[:4], y=np.eye(10, dtype=np.int64)[y[:4]]),
                  "d.npz", (), "one-hot? use y.argmax(axis=1)"),
    "no x": (lambda p, x, y: np.savez(p, inputs=x[:4]), "d.npz", (), "no array named 'x'"),
    "extra array": (lambda p, x, y: np.savez(p, x=x[:4], y=y[:4], z=y[:4]), "d.npz", (),
                    "unexpected array(s) z"),
    "object array": (lambda p, x, y: np.savez(p, x=np.array([None] * 4)), "d.npz", (),
                     "not numbers"),
    "zip of text": (lambda p, x, y: _zip_with_text(p), "d.npz", (), "not a NumPy array"),
    "not a zip": (lambda p, x, y: p.write_text("x,y\n1,2\n"), "d.npz", (),
                  "cannot read as .npz"),
    "huge npy header": (lambda p, x, y: _huge_npy(p), "x.npy", (), "memory budget"),
    "truncated npy": (lambda p, x, y: _huge_npy(p), "x.npy", ("--samples", "4"), "truncated"),
    "too few samples": (lambda p, x, y: np.savez(p, x=x[:4]), "d.npz", ("--samples", "5"),
                        "fewer than --samples 5"),
    "unknown format": (lambda p, x, y: p.write_text("1,2"), "d.csv", (), "unknown data format"),
    "resize for arrays": (lambda p, x, y: np.savez(p, x=x[:4]), "d.npz", ("--resize", "8"),
                          "apply to a folder of images"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_data_is_one_line_and_writes_nothing(tmp_path, capsys, digits, case):
    write, name, extra, expect = BAD[case]
    x, y, _ = digits
    data = tmp_path / name
    write(data, x, y)
    out = tmp_path / "out"
    out.mkdir()
    rc = main(["accuracy", str(DIGITS), "--data", str(data), *extra,
               "--json", str(out / "a.json"), "--outputs", str(out / "o.npz")])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert rc == 2 and len(err) == 1 and expect in err[0], err
    assert str(data) in err[0]
    assert list(out.iterdir()) == []


def test_data_and_dataset_exclude_each_other_in_one_subprocess_line(tmp_path):
    """Through the real entry point: argparse's one line, and a missing path's."""
    for argv, expect in (((("--data", "x.npz", "--dataset", "digits")), "not allowed with"),
                         (("--data", str(tmp_path / "nope")), "no such file or folder")):
        r = subprocess.run([sys.executable, "-m", "imcsim", "accuracy", str(DIGITS), *argv],
                           capture_output=True, text=True, cwd=tmp_path)
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        assert r.returncode == 2 and len(lines) == 1 and expect in lines[0], r.stderr
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- image folders


def test_image_folder_labels_come_from_sorted_sub_folders(tmp_path, digits):
    """Four 8×8 PNGs of digits 0 and 1 in sub-folders '0' and '1' (labels 0 and 1): the
    inputs are the PNG bytes / 255 (grey: no normalisation), float top-1 is onnxruntime's on
    them; an empty sub-folder keeps its class index."""
    Image = pytest.importorskip("PIL.Image")
    x, y, _ = digits
    folder = tmp_path / "imgs"
    pixels, labels = [], []
    for c in (0, 1):
        (folder / str(c)).mkdir(parents=True)
        for k in np.flatnonzero(y == c)[:2]:  # written in the sorted order the loader reads
            img = np.round(x[k, 0] * 255).astype(np.uint8)
            Image.fromarray(img).save(folder / str(c) / f"{k:04d}.png")
            pixels.append(img)
            labels.append(c)
    (folder / "notes.txt").write_text("not an image: ignored")
    pixels, labels = np.asarray(pixels), np.asarray(labels)
    out = tmp_path / "o.npz"
    acc = _run(tmp_path, "--data", str(folder), "--ideal", "--outputs", str(out))
    o = np.load(out)
    expected_x = (pixels[o["index"]] / np.float32(255))[:, None].astype(np.float32)
    np.testing.assert_allclose(o["inputs"], expected_x, atol=1e-6)
    np.testing.assert_array_equal(o["labels"], labels[o["index"]])
    (ref,) = run_ort(DIGITS, {"image": expected_x})
    assert acc["float_top1"] == pytest.approx(np.mean(ref.argmax(1) == labels[o["index"]]))
    assert acc["preprocess"] == {"resize": None, "mean": [0.0], "std": [1.0]}
    (folder / "2").mkdir()  # an empty class keeps its index; a third class changes nothing
    assert _run(tmp_path, "--data", str(folder), "--ideal")["float_top1"] == acc["float_top1"]


def test_resize_crops_the_centre_and_mean_std_normalise(tmp_path):
    """A 16×16 grey image, white 8×8 centre in a black border: --resize 16 keeps 16×16 and
    crops the centre 8×8 — all white, 1.0; straight resizing to 8×8 mixes in the border.
    --mean 0.5 --std 0.25: (1 − 0.5) / 0.25 = 2."""
    Image = pytest.importorskip("PIL.Image")
    folder = tmp_path / "flat"
    folder.mkdir()
    img = np.zeros((16, 16), np.uint8)
    img[4:12, 4:12] = 255
    Image.fromarray(img).save(folder / "a.png")
    for argv, check in ((("--resize", "16"), lambda v: np.all(v == 1.0)),
                        ((), lambda v: v.min() < 0.9),
                        (("--resize", "16", "--mean", "0.5", "--std", "0.25"),
                         lambda v: np.allclose(v, 2.0))):
        out = tmp_path / "o.npz"
        acc = _run(tmp_path, "--data", str(folder), *argv, "--outputs", str(out))
        assert acc["float_top1"] is None  # a flat folder is unlabelled
        assert check(np.load(out)["inputs"]), argv


def test_rgb_images_default_to_imagenet_normalisation(tmp_path):
    """An RGB model (N, 3, 4, 4): a uniform (255, 128, 0) image gives (v/255 − mean)/std
    with ImageNet's mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225)."""
    Image = pytest.importorskip("PIL.Image")
    w = np.random.default_rng(0).standard_normal((6, 48)).astype(np.float32)
    model = save(make_model([helper.make_node("Flatten", ["img"], ["f"], axis=1),
                             helper.make_node("Gemm", ["f", "w"], ["out"], transB=1)],
                            [("img", ["N", 3, 4, 4])], ["out"], [("w", w)]),
                 tmp_path / "rgb.onnx")
    folder = tmp_path / "cls" / "a"
    folder.mkdir(parents=True)
    Image.new("RGB", (6, 5), (255, 128, 0)).save(folder / "one.png")
    rep = imcsim.accuracy(model, data=tmp_path / "cls", resize=4)
    v = rep.outputs()["inputs"][0]
    expected = (np.array([255, 128, 0]) / 255 - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]
    np.testing.assert_allclose(v, np.broadcast_to(expected[:, None, None], v.shape), atol=1e-5)
    ref = w @ v.reshape(-1)  # the Gemm by hand; the one image's label is 0 (sub-folder 'a')
    assert rep.accuracy.float_top1 == float(ref.argmax() == 0)
    assert rep.accuracy.float_top5 == float(0 in np.argsort(-ref)[:5])
    with pytest.raises(DataError, match="give 1 or 3 values"):
        imcsim.accuracy(model, data=tmp_path / "cls", mean=[0.5, 0.5])
    with pytest.raises(DataError, match=r"channels-last \(NHWC\): use x.transpose\(0, 3, 1, 2\)"):
        imcsim.accuracy(model, data=np.zeros((2, 4, 4, 3), np.float32))


def test_an_image_folder_without_pillow_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)  # `import PIL` now fails
    (tmp_path / "imgs").mkdir()
    with pytest.raises(DataError, match=r"needs Pillow: pip install 'imcsim\[images\]'"):
        imcsim.accuracy(DIGITS, data=tmp_path / "imgs")


# ---------------------------------------------------------------- Python API


def test_api_with_arrays_equals_the_cli(tmp_path, digits):
    """imcsim.accuracy(data=(x, y)) is the CLI's run: same JSON (but the command line)."""
    x, y, logits = digits
    rep = imcsim.accuracy(DIGITS, "rram_128", data=(x, y), samples=48, seed=4,
                          set={"adc.bits": 5})
    idx = rep.outputs()["index"]
    assert rep.kind == "accuracy" and rep.accuracy.samples == 48
    assert rep.accuracy.float_top1 == pytest.approx(np.mean(logits[idx].argmax(1) == y[idx]))
    assert rep.accuracy.float_top5 == pytest.approx(top_k(logits[idx], y[idx], 5))
    assert "top-5" in str(rep) and len(rep.to_dataframe()) == len(rep.layers)
    np.savez(tmp_path / "d.npz", x=x, y=y)
    out = tmp_path / "c.json"
    assert main(["accuracy", str(DIGITS), "--data", str(tmp_path / "d.npz"), "--samples",
                 "48", "--seed", "4", "--set", "adc.bits=5", "--json", str(out)]) == 0
    cli = json.loads(out.read_text())
    cli["imcsim"].pop("command")
    api = rep.to_dict()
    api["imcsim"]["inputs"] = cli["imcsim"]["inputs"]  # the CLI also hashed the .npz
    api["accuracy"]["dataset"] = cli["accuracy"]["dataset"]
    assert api == cli


def test_api_with_an_iterable_of_batches_takes_them_in_order(digits):
    """Batches of 50 (x, y), samples=120: the first 120 samples, in order — onnxruntime's
    top-1 on x[:120]; a network from load_model is re-read from its file."""
    x, y, logits = digits
    batches = ((x[i:i + 50], y[i:i + 50]) for i in range(0, len(y), 50))
    rep = imcsim.accuracy(imcsim.load_model(DIGITS), data=batches, samples=120, ideal=True)
    assert rep.accuracy.dataset == "batches" and rep.accuracy.samples == 120
    assert rep.accuracy.float_top1 == pytest.approx(np.mean(logits[:120].argmax(1) == y[:120]))
    assert rep.accuracy.hw_top5 == pytest.approx(top_k(logits[:120], y[:120], 5))
    np.testing.assert_array_equal(rep.outputs()["inputs"], x[:120])
    assert "index" not in rep.outputs()
    mixed = [(x[:4], y[:4]), x[4:8]]
    with pytest.raises(DataError, match="batch 1: has no labels, unlike batch 0"):
        imcsim.accuracy(DIGITS, data=mixed)
    with pytest.raises(ImcsimError, match="not both"):
        imcsim.accuracy(DIGITS, data=x, dataset="digits")

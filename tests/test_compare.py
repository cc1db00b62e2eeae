"""`imcsim compare` (issue #13 §3): models × architectures in one table.

Expected values come from outside the comparison: separate `imcsim compile --json` and
`imcsim accuracy --json` runs for the same combination, the error `imcsim compile` gives
for a combination that cannot run, and the best of each row recomputed here from the
directions written below (lower energy is better, higher TOPS/W is better, ...)."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys

import pytest
from jsonschema import Draft202012Validator
from onnx_builders import REPO
from test_sweep_report import _chromium  # the skip/fail rule for a missing chromium

import imcsim
from imcsim.cli import main

TINY = REPO / "models" / "tiny_cnn.onnx"
DIGITS = REPO / "models" / "digits_cnn.onnx"
ARCHS = ("isaac", "rram_128", "neurram")  # neurram has no pooling unit: both models fail there
BETTER = {  # which value of each row is best, as a designer reads it
    "energy.total_j": min, "performance.latency_s": min,
    "performance.throughput_inf_per_s": max, "energy.tops_per_w": max,
    "area.tops_per_mm2": max, "area.total_mm2": min, "adc.energy_fraction": min,
    "adc.area_fraction": min, "mapping.chips": min, "mapping.arrays": min,
    "accuracy.hw_top1": max, "accuracy.top1_agreement": max, "accuracy.float_top1": max,
}


def _json(path):
    return json.loads(path.read_text(encoding="utf-8"))


def _at(report, key):
    for part in key.split("."):
        report = report[part]
    return report


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """2 models × 3 architectures with --set on every one: the JSON and the HTML page."""
    out = tmp_path_factory.mktemp("compare")
    argv = ["compare", str(TINY), str(DIGITS), *(a for arch in ARCHS for a in ("--arch", arch)),
            "--set", "adc.bits=6", "--json", str(out / "cmp.json"), "--html",
            str(out / "cmp.html"), "--quiet"]
    assert main(argv) == 0
    return _json(out / "cmp.json"), (out / "cmp.html").read_text(encoding="utf-8")


def _column(data, label):
    (index,) = [i for i, c in enumerate(data["columns"]) if c["label"] == label]
    return index


@pytest.mark.parametrize("model,arch", [(TINY, "isaac"), (DIGITS, "rram_128")])
def test_each_value_is_what_imcsim_compile_reports(compared, tmp_path, model, arch):
    data, _ = compared
    path = tmp_path / "compile.json"
    assert main(["compile", str(model), "--arch", arch, "--set", "adc.bits=6", "--json",
                 str(path), "--quiet"]) == 0
    expected = _json(path)
    i = _column(data, f"{model.stem} @ {arch}")
    assert data["columns"][i]["status"] == "ok"
    rows = {m["key"]: m["values"][i] for m in data["metrics"]}
    assert set(rows) == {k for k in BETTER if not k.startswith("accuracy.")}
    for key, value in rows.items():
        assert value == _at(expected, key), key
    crossbar = [(r["name"], r["energy_j"]) for r in expected["layers"]
                if r["utilization"] is not None]
    assert [(r["name"], r["energy_j"]) for r in data["columns"][i]["layers"]] == crossbar
    (config,) = [a["config"] for a in data["archs"] if a["label"] == arch]
    assert config == expected["imcsim"]["config"]  # --set applied to every architecture


def test_the_best_of_each_row_is_its_true_extreme(compared, tmp_path):
    data, page = compared
    labels = [c["label"] for c in data["columns"]]
    assert labels == [f"{m} @ {a}" for m in ("tiny_cnn", "digits_cnn") for a in ARCHS]
    marked = {}
    for m in data["metrics"]:
        values = [v for v in m["values"] if v is not None]
        extreme = BETTER[m["key"]](values)
        expected = [] if all(v == extreme for v in values) else [
            label for label, v in zip(labels, m["values"], strict=True) if v == extreme]
        assert m["best"] == expected, m["key"]
        assert m["direction"] == BETTER[m["key"]].__name__
        marked[m["key"]] = expected
    assert marked["energy.total_j"] and not marked["mapping.chips"]  # all on one chip
    # the HTML page highlights exactly those cells
    for key, best in marked.items():
        row = re.search(rf'<tr data-key="{re.escape(key)}">(.*?)</tr>', page).group(1)
        cells = re.findall(r'<td class="([a-z]*)" data-v="[^"]*">', row)
        assert [labels[i] for i, cls in enumerate(cells) if cls == "best"] == best, key
    # and the terminal table (bold; Markdown's ** shows it as text)
    rep = imcsim.compare([TINY, DIGITS], ARCHS, set={"adc.bits": 6})
    from imcsim.tables import FormatConsole

    out = tmp_path / "table.md"
    with out.open("w", encoding="utf-8") as f:
        rep.render(FormatConsole("markdown", f))
    lines = {line.split(" | ")[0].lstrip("| "): line.split(" | ")[2:]
             for line in out.read_text().splitlines() if line.startswith("| ")}
    for m in data["metrics"]:
        bold = [labels[i] for i, cell in enumerate(lines[m["label"]]) if cell.startswith("**")]
        assert bold == m["best"], m["key"]


def test_a_combination_that_cannot_run_is_missing_not_an_error(compared):
    data, page = compared
    r = subprocess.run([sys.executable, "-m", "imcsim", "compile", str(TINY), "--arch",
                        "neurram"], capture_output=True, text=True, check=False)
    assert r.returncode == 2
    reason = r.stderr.strip().removeprefix("imcsim: error: ")
    i = _column(data, "tiny_cnn @ neurram")
    column = data["columns"][i]
    assert (column["status"], column["reason"], column["layers"]) == ("failed", reason, [])
    assert all(m["values"][i] is None for m in data["metrics"])
    assert html.escape(f"tiny_cnn @ neurram: not computed: {reason}") in page
    rep = imcsim.compare(TINY, ["isaac", "neurram"])
    assert f"tiny_cnn @ neurram: not computed: {reason}" in rep.warnings
    assert "—" in str(rep) and not any(m["best"] for m in rep.metrics)  # one value per row


def test_the_json_validates_against_its_schema(compared):
    data, _ = compared
    r = subprocess.run([sys.executable, "-m", "imcsim", "schema", "--json-schema", "compare"],
                       capture_output=True, text=True, check=True)
    schema = json.loads(r.stdout)
    Draft202012Validator.check_schema(schema)
    assert schema["$id"].endswith(":compare:v1")
    validator = Draft202012Validator(schema)
    assert list(validator.iter_errors(data)) == []
    for change in ({"metrics": [{**data["metrics"][0], "direction": "sideways"}]},
                   {"columns": data["columns"][:1]}, {"surprise": 1}):
        assert list(validator.iter_errors({**data, **change})), change


def test_accuracy_rows_are_what_imcsim_accuracy_reports(tmp_path):
    path = tmp_path / "acc.json"
    options = ["--dataset", "digits", "--samples", "16", "--seed", "3"]
    assert main(["accuracy", str(DIGITS), "--arch", "isaac", *options, "--json", str(path),
                 "--quiet"]) == 0
    expected = _json(path)["accuracy"]
    out = tmp_path / "cmp.json"
    assert main(["compare", str(DIGITS), str(TINY), "--arch", "isaac", "--arch", "rram_128",
                 "--accuracy", *options, "--json", str(out), "--quiet"]) == 0
    data = _json(out)
    # tiny_cnn takes 16×16 inputs, not the 8×8 digits: its hardware figures stand alone
    tiny = data["columns"][_column(data, "tiny_cnn @ isaac")]
    assert tiny["status"] == "accuracy failed" and "expects (1, 16, 16)" in tiny["reason"]
    assert tiny["layers"] and all(
        (m["values"][_column(data, "tiny_cnn @ isaac")] is None) == m["key"].startswith(
            "accuracy.") for m in data["metrics"])
    rows = {m["key"]: m["values"][_column(data, "digits_cnn @ isaac")] for m in data["metrics"]}
    for key in ("hw_top1", "top1_agreement", "float_top1"):
        assert rows[f"accuracy.{key}"] == expected[key], key
    assert data["accuracy"] == {"dataset": "digits", "samples": 16, "seed": 3,
                                "batch_size": 32}
    assert data["imcsim"]["seed"] == 3


def test_each_model_is_parsed_once(monkeypatch):
    from imcsim.compiler import frontend

    calls = []
    real = frontend.import_onnx

    def counted(path, *args, **kwargs):
        calls.append(str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(frontend, "import_onnx", counted)
    rep = imcsim.compare([TINY, DIGITS], ["isaac", "rram_128", "rram_22nm"])
    assert sorted(calls) == sorted([str(TINY), str(DIGITS)])
    assert [c["status"] for c in rep.columns] == ["ok"] * 6


def test_the_cli_json_is_the_api_report(tmp_path, capsys):
    out = tmp_path / "cmp.json"
    assert main(["compare", str(TINY), "--arch", "isaac", "--arch", "rram_128", "--json",
                 str(out), "--quiet"]) == 0
    cli = _json(out)
    assert cli["imcsim"].pop("command")[:2] == ["imcsim", "compare"]
    api = imcsim.compare(TINY, ["isaac", "rram_128"]).to_dict()
    assert cli == api
    assert main(["compare", str(TINY), "--arch", "isaac", "--arch", "rram_128", "--format",
                 "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    printed["imcsim"].pop("command")
    assert printed == api


def test_html_is_self_contained_with_one_chart_per_model(compared):
    data, page = compared
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<link" not in page and "<script" not in page and "@import" not in page
    for model in ("tiny_cnn", "digits_cnn"):
        chart = re.search(rf'<figure id="layers-{model}">(.*?)</figure>', page, re.S).group(1)
        bars = re.findall(r'<rect class="cmp-bar"[^>]*data-arch="([^"]+)"[^>]*><title>', chart)
        layers = {c["label"]: len(c["layers"]) for c in data["columns"] if c["model"] == model}
        assert layers[f"{model} @ neurram"] == 0  # not computed: no bars
        assert len(bars) == sum(layers.values()) > 0
        assert sorted(set(bars)) == ["isaac", "rram_128"]


def test_html_renders_in_headless_chromium(compared, tmp_path):
    exe = _chromium()
    data, page = compared
    html_file = tmp_path / "cmp.html"
    html_file.write_text(page, encoding="utf-8")
    dom = subprocess.run(
        [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", html_file.as_uri()],
        capture_output=True, text=True, timeout=120, check=True).stdout
    assert 'id="compare"' in dom
    assert dom.count('<td class="best"') == sum(len(m["best"]) for m in data["metrics"])
    assert dom.count('<rect class="cmp-bar"') == sum(len(c["layers"]) for c in data["columns"])
    assert dom.count("<svg") == 2


@pytest.mark.parametrize("argv,message", [
    (["--arch", "isaac", "--arch", "nosuch"], "--arch nosuch: no such file or preset"),
    (["--arch", "isaac"], "at least two combinations"),
    ([], "at least two combinations"),  # the default architecture alone: one combination
    (["--arch", "isaac", "--arch", "isaac"], "--arch isaac is given twice"),
    (["--arch", "isaac", "--arch", "rram_128", "--set", "adc.bits=banana"], "adc.bits"),
    (["--arch", "isaac", "--arch", "rram_128", "--duplication", "zero"], "duplication"),
    (["--arch", "isaac", "--arch", "rram_128", "--samples", "8"], "only with --accuracy"),
    (["--arch", "isaac", "--arch", "rram_128", "--accuracy", "--dataset", "digts"],
     "unknown data set"),
    (["--arch", "isaac", "--arch", "rram_128", "--html", "MODEL"], "is an input of this run"),
    (["--arch", "isaac", "--arch", "rram_128", "--html", "-"], "not standard output"),
    (["--arch", "isaac", "--arch", "rram_128", "--html", "out.json"], "name the same file"),
    (["missing.onnx", "--arch", "isaac", "--arch", "rram_128"], "missing.onnx"),
])
def test_bad_input_is_one_line_and_leaves_no_file(tmp_path, argv, message):
    model = tmp_path / "tiny.onnx"
    model.write_bytes(TINY.read_bytes())
    argv = [str(model) if a == "MODEL" else a for a in argv]
    models = [] if argv and argv[0].endswith(".onnx") else [str(model)]
    r = subprocess.run([sys.executable, "-m", "imcsim", "compare", *models, *argv, "--json",
                        "out.json"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("imcsim: error: ") and r.stderr.count("\n") == 1, r.stderr
    assert message in r.stderr and "Traceback" not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.onnx"]
    assert model.read_bytes() == TINY.read_bytes()

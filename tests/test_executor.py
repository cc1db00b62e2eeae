"""End-to-end execution: ideal hardware equals onnxruntime; hardware error behaves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from imcsim.compiler.errors import ModelError
from imcsim.compiler.frontend import import_onnx
from imcsim.compiler.passes import canonicalize
from onnx_builders import TINY_CNN, run_ort

from imcsim.config import load_arch
from imcsim.functional.executor import Executor

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "torch").glob("*.onnx"))


def _net(path):
    return canonicalize(import_onnx(path), drop_views=False)


def _feeds(net, seed=0):
    rng = np.random.default_rng(seed)
    return {k: (rng.standard_normal(s).astype(np.float32) if net.input_dtypes[k].kind == "f"
                else rng.integers(0, 2, s).astype(np.int64)) for k, s in net.inputs.items()}


def _rel(a, b):
    return float(np.linalg.norm(np.asarray(a, np.float64) - b) / np.linalg.norm(b))


@pytest.mark.parametrize("path", [TINY_CNN, *FIXTURES], ids=lambda p: p.name)
def test_ideal_hardware_matches_onnxruntime(path):
    net = _net(path)
    feeds = _feeds(net)
    result = Executor(net, load_arch("rram_128"), ideal=True).run(feeds)
    reference = run_ort(path, feeds)
    for name, ref in zip(net.outputs, reference, strict=False):
        assert _rel(result.hw[name], ref) <= 1e-4, name


def _tiny_resnet():
    return FIXTURES[[p.name for p in FIXTURES].index("tiny_resnet.torchscript.onnx")]


def test_more_adc_bits_less_error_and_enough_bits_near_float():
    net = _net(_tiny_resnet())
    feeds = _feeds(net)
    out = net.outputs[0]
    errors = []
    for bits in (4, 6, 8, 12):
        r = Executor(net, load_arch("rram_128", ["adc.model=sar", f"adc.bits={bits}"])).run(feeds)
        errors.append(_rel(r.hw[out], r.float[out]))
    assert errors == sorted(errors, reverse=True)
    # 16-bit weights/inputs, exact ADC: only quantisation remains
    exact = ["precision.weight_bits=16", "precision.input_bits=16", "adc.model=sar",
             "adc.bits=16"]
    r = Executor(net, load_arch("rram_128", exact)).run(feeds)
    assert _rel(r.hw[out], r.float[out]) < 1e-3


def test_layers_option_puts_only_chosen_layers_on_hardware():
    net = _net(_tiny_resnet())
    feeds = _feeds(net)
    r = Executor(net, load_arch("rram_128"), hw_layers=["/fc/Gemm"]).run(feeds)
    on = {e.name for e in r.layers if e.on_hardware}
    assert on == {"/fc/Gemm"}
    assert all(e.rel_error == 0 for e in r.layers if e.name != "/fc/Gemm")
    with pytest.raises(ModelError, match="no crossbar layer named nope"):
        Executor(net, load_arch("rram_128"), hw_layers=["nope"])


def test_same_seed_same_numbers_and_other_seed_differs():
    net = _net(_tiny_resnet())
    feeds = _feeds(net)
    arch = load_arch("rram_128", ["nonideal.read_noise=0.02", "nonideal.prog_noise=0.03"])
    out = net.outputs[0]
    a = Executor(net, arch, seed=3).run(feeds).hw[out]
    b = Executor(net, arch, seed=3).run(feeds).hw[out]
    c = Executor(net, arch, seed=4).run(feeds).hw[out]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_non_finite_inputs_are_rejected():
    net = _net(TINY_CNN)
    feeds = _feeds(net)
    feeds["input"][0, 0, 0, 0] = np.nan
    with pytest.raises(ModelError, match="NaN"):
        Executor(net, load_arch("rram_128")).run(feeds)


@pytest.mark.parametrize("name", ["tiny_lstm.torchscript.onnx", "tiny_gru.dynamo.onnx",
                                  "tiny_lstm_wide.dynamo.onnx"])
def test_recurrent_layers_run_on_hardware(name):
    """16-bit weights and inputs with an exact ADC: only quantisation error remains."""
    path = FIXTURES[[p.name for p in FIXTURES].index(name)]
    net = _net(path)
    feeds = _feeds(net)
    exact = ["precision.weight_bits=16", "precision.input_bits=16", "adc.model=sar",
             "adc.bits=16"]
    r = Executor(net, load_arch("rram_128", exact)).run(feeds)
    out = net.outputs[0]
    assert any(e.on_hardware for e in r.layers if e.op in ("LSTM", "GRU"))
    assert 0 < _rel(r.hw[out], r.float[out]) < 1e-3
    coarse = Executor(net, load_arch("rram_128", ["adc.bits=4"])).run(feeds)
    assert _rel(coarse.hw[out], coarse.float[out]) > _rel(r.hw[out], r.float[out])


@pytest.mark.parametrize("ceil,include,pads", [(0, 0, [1, 1, 1, 1]), (1, 0, [1, 1, 1, 1]),
                                               (1, 1, [1, 1, 1, 1]), (0, 1, [0, 1, 1, 0]),
                                               (1, 1, [0, 0, 0, 0])])
@pytest.mark.parametrize("op", ["AveragePool", "MaxPool"])
def test_pooling_matches_onnxruntime(tmp_path, op, ceil, include, pads):
    """AvgPool2d(padding=1, ceil_mode=True) exports exactly these attribute mixes."""
    from onnx import helper
    from onnx_builders import make_model, save

    kw = {"count_include_pad": include} if op == "AveragePool" else {}
    node = helper.make_node(op, ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=pads,
                            ceil_mode=ceil, **kw)
    path = save(make_model([node], [("x", [1, 2, 8, 9])], ["y"]), tmp_path / "pool.onnx")
    net = _net(path)
    feeds = _feeds(net)
    (ref,) = run_ort(path, feeds)
    got = Executor(net, load_arch("rram_128"), ideal=True).run(feeds).hw["y"]
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-6)

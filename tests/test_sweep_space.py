"""Sweep definitions: grids, ranges, zipped axes, random samples, point ids, the sweep file,
and the Pareto front (checked against a brute-force search)."""

from __future__ import annotations

import itertools
import random

import pytest

from imcsim.errors import ImcsimError
from imcsim.sweep.definition import from_file, from_options
from imcsim.sweep.pareto import pareto_front, spread
from imcsim.sweep.space import Space, grid_axis, point_id, zip_axis


def test_issue_grid_has_84_points_first_axis_slowest():
    """4 array sizes × 7 ADC resolutions (4..10) × 3 cell sizes = 84 points (by hand)."""
    sweep = from_options("m.onnx", grid=["array.rows=64,128,256,512", "adc.bits=4..10",
                                         "array.cell_bits=1,2,4"])
    points = list(sweep.space.points())
    assert len(points) == 84
    assert [i for i, _ in points] == list(range(84))
    assert points[0][1] == {"array.rows": 64, "adc.bits": 4, "array.cell_bits": 1}
    assert points[1][1] == {"array.rows": 64, "adc.bits": 4, "array.cell_bits": 2}
    assert points[3][1] == {"array.rows": 64, "adc.bits": 5, "array.cell_bits": 1}
    assert points[83][1] == {"array.rows": 512, "adc.bits": 10, "array.cell_bits": 4}
    expected = list(itertools.product([64, 128, 256, 512], range(4, 11), [1, 2, 4]))
    assert [tuple(v.values()) for _, v in points] == expected


def test_values_are_read_like_set():
    axis = grid_axis("k", "1,2.5,offset,true,1e-8,3..4")
    assert axis.columns[0] == (1, 2.5, "offset", True, 1e-8, 3, 4)
    assert grid_axis("k", [8, "16..17"]).columns[0] == (8, 16, 17)


def test_a_zipped_key_may_repeat_values_when_the_pairs_differ():
    axis = zip_axis([("array.rows", "64,64"), ("array.cols", "64,128")])
    assert [axis.values_at(i) for i in range(len(axis))] == [
        {"array.rows": 64, "array.cols": 64}, {"array.rows": 64, "array.cols": 128}]


def test_zipped_keys_move_together():
    sweep = from_options("m.onnx", grid=["adc.bits=4,5"],
                         zipped=["array.rows=64,128", "array.cols=32,256"])
    assert [v for _, v in sweep.space.points()] == [
        {"adc.bits": 4, "array.rows": 64, "array.cols": 32},
        {"adc.bits": 4, "array.rows": 128, "array.cols": 256},
        {"adc.bits": 5, "array.rows": 64, "array.cols": 32},
        {"adc.bits": 5, "array.rows": 128, "array.cols": 256},
    ]


@pytest.mark.parametrize("make, message", [
    (lambda: grid_axis("adc.bits", ""), "no values"),
    (lambda: grid_axis("adc.bits", "4,,5"), "empty value"),
    (lambda: grid_axis("adc.bits", "10..4"), "range 10..4 is empty"),
    (lambda: grid_axis("adc.bits", "4..x"), "bad range"),
    (lambda: grid_axis("adc.bits", "4..5.5"), "bad range"),
    (lambda: grid_axis("adc.bits", "4,4"), "given twice"),
    (lambda: grid_axis("adc.bits", [[4]]), "not a single value"),
    (lambda: zip_axis([("array.rows", "1,2"), ("array.cols", "1")]), "same number"),
    (lambda: zip_axis([("array.rows", "1,1"), ("array.cols", "2,2")]), "given twice"),
    (lambda: Space(()), "nothing to sweep"),
    (lambda: Space((grid_axis("a.b", "1"), grid_axis("a.b", "2"))), "two axes"),
    (lambda: from_options("m.onnx", grid=["adc.bits"]), "expected key.path=v1,v2"),
])
def test_bad_definitions_are_one_line_errors(make, message):
    with pytest.raises(ImcsimError, match=message) as e:
        make()
    assert "\n" not in str(e.value)


def test_random_sample_is_seeded_distinct_and_inside_the_grid():
    space = Space((grid_axis("a.x", "0..9"), grid_axis("a.y", "0..9")), samples=7, seed=3)
    picks = space.indices()
    assert len(picks) == len(set(picks)) == 7 and picks == sorted(picks)
    assert all(0 <= i < 100 for i in picks)
    assert Space(space.axes, samples=7, seed=3).indices() == picks  # same seed, same points
    assert Space(space.axes, samples=7, seed=4).indices() != picks
    assert Space(space.axes, samples=500, seed=3).indices() == list(range(100))  # N ≥ grid
    for i in picks:  # a point's values follow from its grid position: 10·x + y
        assert space.values(i) == {"a.x": i // 10, "a.y": i % 10}


def test_point_id_depends_on_values_only():
    a = point_id({"array.rows": 64, "adc.bits": 4})
    assert a == point_id({"adc.bits": 4, "array.rows": 64})  # key order does not matter
    assert a != point_id({"array.rows": 64, "adc.bits": 5})
    assert a != point_id({"array.rows": 64, "adc.bits": 4.5})
    assert len(a) == 16 and int(a, 16) >= 0


def test_sweep_file_equals_the_options(tmp_path):
    (tmp_path / "sub").mkdir()
    f = tmp_path / "sub" / "sweep.yaml"
    f.write_text("""
model: ../m.onnx
arch: isaac
set: {adc.model: sar}
grid:
  array.rows: [64, 128]
  adc.bits: 4..6
zip:
  - {array.cols: [64, 128], adc.cols_per_adc: "4,8"}
samples: 5
seed: 2
""")
    from_yaml = from_file(str(f))
    opts = from_options(str(tmp_path / "m.onnx"), arch="isaac", fixed=["adc.model=sar"],
                        grid=["array.rows=64,128", "adc.bits=4..6"],
                        zipped=["array.cols=64,128", "adc.cols_per_adc=4,8"], samples=5, seed=2)
    assert from_yaml.describe() == opts.describe()
    assert list(from_yaml.space.points()) == list(opts.space.points())


def test_sweep_file_problems_are_listed_together(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("grid: {adc.bits: 9..3}\nbogus: 1\nseed: x\n")
    with pytest.raises(ImcsimError) as e:
        from_file(str(f))
    msg = str(e.value)
    assert "4 problem(s)" in msg and "bogus: unknown key" in msg and "model: missing" in msg
    assert "range 9..3 is empty" in msg and "seed: expected an integer" in msg


def _brute_force_front(xs, ys):
    n = len(xs)
    return sorted(i for i in range(n) if not any(
        xs[j] <= xs[i] and ys[j] <= ys[i] and (xs[j] < xs[i] or ys[j] < ys[i]) for j in range(n)))


@pytest.mark.parametrize("seed", range(20))
def test_pareto_front_matches_brute_force(seed):
    rng = random.Random(seed)
    n = rng.randint(1, 60)
    xs = [rng.randint(0, 12) for _ in range(n)]  # small ranges: many ties and duplicates
    ys = [rng.randint(0, 12) for _ in range(n)]
    front = pareto_front(xs, ys)
    assert sorted(front) == _brute_force_front(xs, ys)
    assert [xs[i] for i in front] == sorted(xs[i] for i in front)  # by ascending x


def test_spread_keeps_ends():
    assert spread(list(range(20)), 5) == [0, 5, 10, 14, 19]
    assert spread([3, 4], 8) == [3, 4]


def test_readme_sweep_file_parses(tmp_path):
    """The sweep file shown in the README: 2 × 5 grid points × 2 zipped = 20, 6 drawn
    (tests/test_readme.py runs it)."""
    from onnx_builders import REPO

    text = (REPO / "README.md").read_text()
    section = text[text.index("## Sweeps"):]
    block = section[section.index("```yaml\n") + 8:]
    (tmp_path / "sweep.yaml").write_text(block[:block.index("```")])
    sweep = from_file(str(tmp_path / "sweep.yaml"))
    assert sweep.space.size == 20 and len(sweep.space.indices()) == 6
    assert sweep.fixed == ("adc.model=sar",) and sweep.accuracy.samples == 64


def test_a_huge_grid_is_counted_before_it_is_enumerated():
    """Two axes of 999,999 values: 10¹² points are refused at once (not built in memory);
    a random sample of them is fine."""
    axes = (grid_axis("array.rows", "1..999999"), grid_axis("array.cols", "1..999999"))
    with pytest.raises(ImcsimError, match="would evaluate 999,998,000,001 points"):
        Space(axes)
    assert len(Space(axes, samples=5, seed=1).indices()) == 5


def test_a_long_axis_is_written_as_ranges_and_reads_back_the_same():
    """sweep.json stays small whatever the grid: 1..999999 (a million values) is written as
    the one token '1..999999', a broken run keeps its loose values, and parse_values reads
    the written form back to exactly the axis's values."""
    from imcsim.sweep.space import Space, grid_axis, parse_values

    values = [*range(1, 1500), 2000, 2001, -7, *range(3000, 4000)]
    space = Space((grid_axis("array.rows", "1..999999"),
                   grid_axis("adc.bits", ",".join(map(str, values)))), samples=3)
    grid = space.describe()["grid"]
    assert grid["array.rows"] == ["1..999999"]
    assert grid["adc.bits"] == ["1..1499", 2000, 2001, -7, "3000..3999"]
    assert parse_values(grid["adc.bits"], "x") == tuple(values)
    assert len(parse_values(grid["array.rows"], "x")) == 999_999

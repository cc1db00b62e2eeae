"""Every fuzz case, and the bounded CI subset."""

from __future__ import annotations

import functools

from fuzz import (
    gen_data,
    gen_hypothesis,
    gen_matrix,
    gen_onnx,
    gen_options,
    gen_outputs,
    gen_sweep,
    gen_yaml,
)
from fuzz.cases import Case

GENERATORS = (gen_onnx, gen_yaml, gen_matrix, gen_options, gen_outputs, gen_sweep, gen_data,
              gen_hypothesis)


@functools.cache
def all_cases() -> tuple[Case, ...]:
    """The full set, in a fixed order; ids are unique."""
    cases = tuple(c for gen in GENERATORS for c in gen.cases())
    ids = [c.id for c in cases]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    assert not dup, f"duplicate case ids: {dup}"
    return cases


def ci_cases() -> tuple[Case, ...]:
    """The CI subset: cases marked ``ci`` (a few minutes on 2 cores, sequentially)."""
    return tuple(c for c in all_cases() if c.ci)

"""argparse value types shared by every command: bad values become argparse's one-line
error (exit 2), never a traceback deep in NumPy."""

from __future__ import annotations

import argparse


def seed(text: str) -> int:
    """An argparse type: a seed is a whole number from 0 to 2^63 − 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text[:40]}' is not a whole number") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"{text[:40]} is outside 0 … 2^63 − 1")
    return value


def numbers(text: str) -> tuple[float, ...]:
    """An argparse type: comma-separated finite numbers, e.g. 0.485,0.456,0.406."""
    import math

    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text[:40]}' is not comma-separated numbers "
                                         "(e.g. 0.485,0.456,0.406)") from None
    if not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"'{text[:40]}' holds a non-finite number")
    return values

"""Run every fuzz case (the full set) and print totals per failure class and per input
kind, then each failing case: id, argv and the first 300 characters of stderr.

    python tests/fuzz/run_all.py [--jobs N] [--ci] [-k SUBSTRING] [--json FILE]

Exit code 0 when every case passes, 1 otherwise. ``make fuzz`` runs it.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for `import fuzz`

from fuzz.harness import CLASSES, Result, run_case  # noqa: E402
from fuzz.suite import all_cases, ci_cases  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--jobs", type=int, default=max(1, min(2, os.cpu_count() or 1)),
                   help="cases run at the same time (default: 2, or 1 on one core)")
    p.add_argument("--ci", action="store_true", help="only the CI subset")
    p.add_argument("-k", dest="only", default="", help="only cases whose id contains this")
    p.add_argument("--json", metavar="FILE", help="also write every result as JSON here")
    p.add_argument("--quiet", action="store_true", help="no line per finished case")
    args = p.parse_args(argv)

    cases = [c for c in (ci_cases() if args.ci else all_cases()) if args.only in c.id]
    print(f"{len(cases)} cases, {args.jobs} at a time", flush=True)
    t0 = time.monotonic()
    results: list[Result] = []
    with ThreadPoolExecutor(args.jobs) as pool:
        for r in pool.map(run_case, cases):
            results.append(r)
            if not args.quiet:
                mark = "ok  " if r.ok else "FAIL"
                print(f"{mark} {r.seconds:6.1f}s {r.case.id}" + ("" if r.ok else f"  [{r.klass}]"),
                      flush=True)
    wall = time.monotonic() - t0
    report(results, wall)
    if args.json:
        Path(args.json).write_text(json.dumps([{
            "id": r.case.id, "kind": r.case.kind, "expect": r.case.expect,
            "argv": list(r.case.argv), "rc": r.rc, "seconds": round(r.seconds, 2),
            "peak_rss_mb": round(r.peak_rss_mb), "class": r.klass, "detail": r.detail,
            "changes": r.changes, "stderr": r.stderr[:2000]} for r in results], indent=1))
    return 0 if all(r.ok for r in results) else 1


def report(results: list[Result], wall: float) -> None:
    by_class = collections.Counter(r.klass for r in results)
    kinds = sorted({r.case.kind for r in results})
    print(f"\n{len(results)} cases in {wall:.0f} s; "
          f"{sum(r.ok for r in results)} pass, {sum(not r.ok for r in results)} fail")
    print("\nper failure class:")
    for k in CLASSES:
        if by_class[k]:
            print(f"  {k:20} {by_class[k]:5}")
    print("\nper input kind:  cases  fail  " + "  ".join(
        k for k in CLASSES[1:] if any(r.klass == k for r in results)))
    failing = [k for k in CLASSES[1:] if by_class[k]]
    for kind in kinds:
        rs = [r for r in results if r.case.kind == kind]
        counts = collections.Counter(r.klass for r in rs)
        print(f"  {kind:14} {len(rs):6} {sum(not r.ok for r in rs):5}  " + "  ".join(
            f"{counts[k]:>{len(k)}}" for k in failing))
    slow = sorted(results, key=lambda r: -r.seconds)[:5]
    print("\nslowest: " + ", ".join(f"{r.case.id} {r.seconds:.1f} s" for r in slow))
    sched = [r for r in results if r.case.server]
    for r in sched:
        print(f"scheduler {r.case.id}: ended after {r.seconds:.1f} s ({r.klass})")
    stray = [r for r in results if r.ok and r.rc == 0 and any(
        not ln.startswith("imcsim: ") for ln in r.stderr.splitlines() if ln.strip())]
    if stray:
        print(f"\n{len(stray)} passing case(s) print stray stderr lines (Python warnings), "
              "e.g. " + ", ".join(r.case.id for r in stray[:5]))
    bad = [r for r in results if not r.ok]
    if bad:
        print("\nfailing cases:")
        for r in sorted(bad, key=lambda r: (r.klass, r.case.id)):
            print(r.summary())


if __name__ == "__main__":
    raise SystemExit(main())

"""``python -m comparisons.bench.mutants``: the yardstick's figures as a table, then its
failures, each with what reproduces it.

Arguments are checked before anything heavy is imported (exit status 2, one line).
``--json PATH`` also writes every figure, failure and miss, mutant sources included.
"""

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING

from comparisons.arguments import Parser

if TYPE_CHECKING:  # only for the annotation: the yardstick loads the checker and torch
    from comparisons.bench.mutants.yardstick import Check

PROG = "python -m comparisons.bench.mutants"


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = Parser(prog=PROG, description="check_backprop against machine-made mutants of "
                                           "hand-written backward passes.")
    parser.add_argument("--seed", type=int, default=0,
                        help="the first architecture's seed (then seed + 1, ...)")
    parser.add_argument("--count", type=int, default=200, help="mutants to check, 1 to 100000")
    parser.add_argument("--per-architecture", type=int, default=4,
                        help="mutants per architecture, 1 to 50")
    parser.add_argument("--json", metavar="PATH", help="also write the results here")
    parser.add_argument("--reproducible", action="store_true",
                        help="also ask, per mutant, whether the checker's grammar can reproduce "
                             "it (reference.reproducible; about twice the time), and list by "
                             "mutation operator the mutants it cannot")
    args = parser.parse_args(argv)
    if args.seed < 0:
        parser.error(f"--seed must be 0 or more, not {args.seed}")
    if not 1 <= args.count <= 100_000:
        parser.error(f"--count must be from 1 to 100000, not {args.count}")
    if not 1 <= args.per_architecture <= 50:
        parser.error(f"--per-architecture must be from 1 to 50, not {args.per_architecture}")
    if args.json is not None:
        folder = os.path.dirname(os.path.abspath(args.json))
        if os.path.isdir(args.json):
            parser.error(f"--json {args.json} is a folder; give a file name")
        if not os.path.isdir(folder):
            parser.error(f"--json: the folder {folder} does not exist")
    return args


def table(figures: dict) -> str:
    """The figures as a Markdown table ("n/a" where the checker offers no ``named``)."""
    lines = ["| figure | value |", "|---|---|"]
    for name, value in figures.items():
        shown = "n/a" if value is None else f"{value:.0%}" if isinstance(value, float) \
            and " among " in name else value
        lines.append(f"| {name} | {shown} |")
    return "\n".join(lines)


def describe(kind: str, check: "Check") -> str:
    """One failure: what, where, and the last line of the report or the traceback."""
    case, m = check.case, check.case.mutation
    lines = [f"- {kind}: {case.arch.describe()}"]
    if m is None:
        lines.append("  the unmutated pass")
    else:
        lines.append(f"  {m.operator} at line {m.line} ({m.variable}, location "
                     f"{'/'.join(m.locations)}): `{m.before}` -> `{m.after}`")
        lines.append(f"  changed: {', '.join(case.changed) or 'the loss only'}")
    text = [t.strip() for t in check.text.strip().splitlines() if t.strip()]
    if check.status == "crash":
        lines.append(f"  raised: {text[-1] if text else ''}")
        return "\n".join(lines)
    lines.append(f"  checker: {text[0] if text else ''}; flagged: "
                 f"{', '.join(check.flagged) or 'no array'}")
    for named in check.named or []:
        lines.append(f"  named {named.get('slip')} at {'/'.join(named.get('where', []))}")
    said = [t for t in text if t.startswith("- ")]
    if said:
        lines.append(f"  said: {said[0][2:]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    from comparisons.bench.mutants.yardstick import grammar_reproduces, measure

    result = measure(args.seed, args.count, args.per_architecture,
                     reproducible=grammar_reproduces if args.reproducible else None,
                     progress=lambda line: print(line, file=sys.stderr, flush=True))
    print(f"check_backprop against mutants, seeds from {args.seed}"
          + ("" if result.expect else " (the checker takes no expect= yet)"))
    print(table(result.figures()))
    failures = result.failures()
    print(f"\n{len(failures)} failure(s)" + (":" if failures else "."))
    for kind, check in failures:
        print(describe(kind, check))
    if args.reproducible:
        beyond: dict[str, int] = {}
        for check in result.mutants:
            if check.reproducible is False:
                operator = check.case.mutation.operator
                beyond[operator] = beyond.get(operator, 0) + 1
        print(f"\nbeyond the grammar ({sum(beyond.values())} mutants no composition of up to "
              "two slips reproduces), by mutation operator: where the grammar could grow")
        for operator, count in sorted(beyond.items(), key=lambda item: -item[1]):
            print(f"  {operator}: {count}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result.to_dict(), f, indent=1, default=str)
        print(f"\nwritten: {args.json} (mutant sources, reports and tracebacks)")
    return 0

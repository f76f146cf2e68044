"""``python -m comparisons.bench``: its arguments, the run, and the files it writes.

Every argument is checked before torch or scikit-learn is imported and before any measuring
(exit status 2, one line), ``--retry-missing``'s stored bench.json included. ``--out``
receives exactly bench.json and bench.md, each replaced only when the run is complete; a
Ctrl-C or SIGTERM stops the run with status 130 or 143 and changes nothing.
"""

import argparse
import json
import os
import sys

from comparisons import signals
from comparisons.arguments import Parser
from comparisons.outputs import UsageError, claim, staged

PROG = "python -m comparisons.bench"
OUTPUTS = ("bench.json", "bench.md")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = Parser(prog=PROG, description="Seconds per epoch of scratch beside what a user "
                                           "would pick instead, and beside the floor.")
    parser.add_argument("--quick", action="store_true",
                        help="one configuration (784-100-10, adam, float32, batch 200), "
                             "10,000 samples, four contenders")
    parser.add_argument("--repeats", type=int, default=3, help="pairs per contender, 1 to 50")
    parser.add_argument("--probe-tolerance", type=float, default=0.1,
                        help="discard a pair when the speed probes around it differ by more "
                             "(a relative difference, above 0 and at most 1)")
    parser.add_argument("--out", default="report", help="folder for bench.json and bench.md")
    parser.add_argument("--retry-missing", action="store_true",
                        help="read OUT/bench.json and measure again only the contenders that "
                             "kept no clean pair, and add those it lacks (same machine only)")
    args = parser.parse_args(argv)
    if not 1 <= args.repeats <= 50:
        parser.error(f"--repeats must be from 1 to 50, not {args.repeats}")
    if not 0 < args.probe_tolerance <= 1:  # NaN fails this too
        parser.error(f"--probe-tolerance must be above 0 and at most 1, not "
                     f"{args.probe_tolerance}")
    return args


def stored(out: str) -> dict:
    """OUT/bench.json for --retry-missing, checked to be a benchmark's results."""
    path = os.path.join(out, "bench.json")
    try:
        with open(path) as f:
            results = json.load(f)
    except FileNotFoundError:
        raise UsageError(f"--retry-missing: there is no {path}; run the benchmark first") \
            from None
    except (OSError, ValueError) as error:
        raise UsageError(f"--retry-missing: {path} cannot be read ({error})") from None
    shape = {"rows": list, "scaling": list, "machine": dict, "command": str}
    if not isinstance(results, dict) or not all(isinstance(results.get(k), t)
                                                for k, t in shape.items()):
        raise UsageError(f"--retry-missing: {path} is not the results of {PROG} (it needs "
                         "rows, scaling, machine and command); run the benchmark again")
    for row in results["rows"] + results["scaling"]:
        if not (isinstance(row, dict) and isinstance(row.get("config"), dict)
                and isinstance(row.get("contenders"), dict)
                and all(isinstance(k, str) and isinstance(v, dict)
                        for k, v in row["contenders"].items())):
            raise UsageError(f"--retry-missing: {path} holds a row that is not a benchmark "
                             "row (a config and its contenders' results); run the benchmark "
                             "again")
    return results


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    say = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    command = " ".join([PROG, *(sys.argv[1:] if argv is None else argv)])
    stage = None
    try:
        with signals.stopping():
            claim(args.out, OUTPUTS)
            previous = stored(args.out) if args.retry_missing else None
            from comparisons.bench.measure import retry_missing, run  # torch: only now
            from comparisons.bench.table import table

            if previous is not None:
                results = previous
                try:
                    retried = retry_missing(results, args.repeats, args.probe_tolerance, say)
                except (ValueError, KeyError, TypeError, AttributeError) as error:
                    raise UsageError(f"cannot retry {os.path.join(args.out, 'bench.json')}: "
                                     f"{error}") from None
                say(f"measured again: {len(retried)} contender(s)")
                command = f"{results['command']}, then {command}" if retried else \
                    results["command"]
            else:
                results = run(args.quick, args.repeats, args.probe_tolerance, say=say)
            results["table"] = table(results)
            results["command"] = command
            with staged(args.out) as stage:
                with open(os.path.join(stage, "bench.json"), "w") as f:
                    json.dump(results, f, indent=1)
                with open(os.path.join(stage, "bench.md"), "w") as f:
                    f.write(results["table"] + "\n")
    except UsageError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        written = "bench.json and bench.md were written just before" if stage is not None \
            and stage.moved else "nothing was written"
        print(f"{PROG}: {signals.name()}; {written}.", file=sys.stderr)
        return signals.status()
    print(results["table"])
    return 0

"""``python -m comparisons.bench``: its arguments, the run, and the files it writes."""

import argparse
import json
import os
import sys

from comparisons.bench.measure import retry_missing, run
from comparisons.bench.table import table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m comparisons.bench",
                                     description="Seconds per epoch of scratch beside what a user "
                                                 "would pick instead, and beside the floor.")
    parser.add_argument("--quick", action="store_true",
                        help="one configuration (784-100-10, adam, float32, batch 200), "
                             "10,000 samples, four contenders")
    parser.add_argument("--repeats", type=int, default=3, help="pairs per contender")
    parser.add_argument("--probe-tolerance", type=float, default=0.1,
                        help="discard a pair when the speed probes around it differ by more")
    parser.add_argument("--out", default="report", help="folder for bench.json and bench.md")
    parser.add_argument("--retry-missing", action="store_true",
                        help="read OUT/bench.json and measure again only the contenders that "
                             "kept no clean pair, and add those it lacks (same machine only)")
    args = parser.parse_args(argv)
    say = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    command = " ".join(["python -m comparisons.bench", *(argv or sys.argv[1:])])
    if args.retry_missing:
        stored = os.path.join(args.out, "bench.json")
        try:
            with open(stored) as f:
                results = json.load(f)
            retried = retry_missing(results, args.repeats, args.probe_tolerance, say)
        except (OSError, ValueError, KeyError) as err:
            print(f"python -m comparisons.bench: cannot retry {stored}: {err}", file=sys.stderr)
            return 2
        say(f"measured again: {len(retried)} contender(s)")
        command = f"{results['command']}, then {command}" if retried else results["command"]
    else:
        results = run(args.quick, args.repeats, args.probe_tolerance, say=say)
    results["table"] = table(results)
    results["command"] = command
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "bench.json"), "w") as f:
        json.dump(results, f, indent=1)
    with open(os.path.join(args.out, "bench.md"), "w") as f:
        f.write(results["table"] + "\n")
    print(results["table"])
    return 0


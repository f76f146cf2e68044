"""The benchmark's results as Markdown tables (docs/bench.md) and its progress lines."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for the annotation: contenders loads torch
    from comparisons.bench.contenders import Config

def label(config: dict, name: str) -> str:
    """A row's contender in words: "784-100-10 adam 200 float32 torch_fused"."""
    return f"{config['name']} {config['solver']} {config['batch']} {config['dtype']} {name}"


def _too_wide(entry: dict) -> bool:
    """A spread of the per-pair ratios above a quarter of their median."""
    return (entry["ratio_high"] - entry["ratio_low"]) / entry["ratio"] > 0.25


def progress(config: "Config", name: str, entry: dict) -> str:
    head = f"{config.name} {config.solver} batch {config.batch} {config.dtype}: {name}"
    if "skipped" in entry:
        return f"{head}: skipped ({entry['skipped']})"
    if not entry["ratios"]:
        return f"{head}: every pair discarded (the machine changed speed during each)"
    warning = "  WARNING: spread too large to trust this ratio" if _too_wide(entry) else ""
    return (f"{head}: {entry['median']:.3f} s/epoch, scratch / it = {entry['ratio']:.2f} "
            f"[{entry['ratio_low']:.2f}, {entry['ratio_high']:.2f}] over "
            f"{len(entry['ratios'])} pairs; {entry['discarded']} discarded (speed changed), "
            f"{entry['slow_state']} in a slow state{warning}")


def _names(rows: list[dict]) -> list[str]:
    """Every contender of the rows, in the order they first appear."""
    return list(dict.fromkeys(n for row in rows for n in row["contenders"]))


def _cell(entry: dict | None, flops: int, peak: float, floor: float | None) -> str:
    if entry is None:
        return "not run"
    if "skipped" in entry:
        return "skipped"
    if not entry.get("ratios"):
        return "no clean pair"
    share = f"{100 * flops / entry['median'] / peak:.0f}%"
    return f"{entry['median']:.3f} ({share})"


def times_table(results: dict, key: str = "rows") -> str:
    rows = results[key]
    names = _names(rows)
    head = ["network", "solver", "batch", "dtype", "scratch s/epoch (% of peak, x floor)"] + \
        [f"{n} s/epoch (% of peak)" for n in names]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        c = row["config"]
        peak = results["gemm_peak_flops"][c["dtype"]]
        floor = row["contenders"].get("gemm_floor", {}).get("ratio")  # paired, as below
        s = row["scratch_median"]
        scratch = "-" if s is None else (
            f"{s:.3f} ({100 * row['gemm_flops'] / s / peak:.0f}%"
            + (f", {floor:.2f}x floor)" if floor else ")"))
        cells = [_cell(row["contenders"].get(n), row["gemm_flops"], peak, floor) for n in names]
        lines.append("| " + " | ".join([c["name"], c["solver"], str(c["batch"]), c["dtype"],
                                         scratch] + cells) + " |")
    return "\n".join(lines)


def ratios_table(results: dict, key: str = "rows") -> str:
    rows = results[key]
    names = _names(rows)
    head = ["network", "solver", "batch", "dtype"] + [f"scratch / {n}" for n in names]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        c = row["config"]
        cells = []
        for n in names:
            e = row["contenders"].get(n, {})
            if "skipped" in e or not e.get("ratios"):
                cells.append("-")
                continue
            flag = "" if e["separable"] else " not separable"
            if _too_wide(e):
                flag += " too wide to trust"
            if len(e["ratios"]) == 1:
                flag += " one pair only, no spread"
            cells.append(f"{e['ratio']:.2f} [{e['ratio_low']:.2f}, {e['ratio_high']:.2f}]"
                         f"{flag}")
        lines.append("| " + " | ".join([c["name"], c["solver"], str(c["batch"]), c["dtype"]]
                                       + cells) + " |")
    return "\n".join(lines)


def skipped(results: dict) -> list[str]:
    out = set()
    for row in results["rows"] + results["scaling"]:
        for name, e in row["contenders"].items():
            if "skipped" in e:
                out.add(f"{name}: {e['skipped']}")
    return sorted(out)


def _machine_line(results: dict) -> list[str]:
    m = results.get("machine")
    if not m:
        return []
    return [f"Machine: {m['cpu']}, {m['cores']} cores; Python {m['python']}, NumPy {m['numpy']} "
            f"with {m['blas']}, torch {m['torch']} ({m['torch_threads']} threads), "
            f"scikit-learn {m['scikit-learn']}, numba {m['numba']}.", ""]


def table(results: dict) -> str:
    peaks = ", ".join(f"{dt} {p / 1e9:.0f} GFLOP/s" for dt, p in
                      results["gemm_peak_flops"].items())
    parts = ["Seconds per epoch, median over the kept pairs (in brackets: the share of the "
             "measured GEMM peak the epoch's performed matrix products reach; for scratch "
             f"also its paired ratio to the GEMM floor). Peak: {peaks}.", "",
             *_machine_line(results), times_table(results), "",
             "scratch's time over each contender's, median of the per-pair ratios "
             "[lowest, highest]; below 1 scratch is faster; \"not separable\": the spread "
             "crosses 1; \"too wide to trust\": the spread exceeds a quarter of the median:",
             "", ratios_table(results)]
    if results["scaling"]:
        parts += ["", "Scaling (adam, float32), seconds per epoch:", "",
                  times_table(results, "scaling"), "", ratios_table(results, "scaling")]
    entries = [e for row in results["rows"] + results["scaling"]
               for e in row["contenders"].values()]
    dropped = sum(e.get("discarded", 0) for e in entries)
    slow = sum(e.get("slow_state", 0) for e in entries)
    parts += ["", f"Pairs discarded: {dropped} because the machine changed speed between the "
                  f"probes before and after them, {slow} because it ran in a slow state "
                  f"(probes more than {200 * results['probe_tolerance']:.0f}% slower than the "
                  "fastest of the run)."]
    for mark, lead in (("retried", "Measured again with --retry-missing, every pair of the "
                                   "first run having been discarded: "),
                       ("added", "Added later with --retry-missing (contenders the first run "
                                 "did not have; paired with scratch as the others): ")):
        labels = [label(row["config"], name) for row in results["rows"] + results["scaling"]
                  for name, e in row["contenders"].items() if e.get(mark)]
        if labels:
            parts += ["", lead + "; ".join(labels) + "."]
    if skipped(results):
        parts += ["", "Skipped: " + "; ".join(skipped(results)) + "."]
    return "\n".join(parts)

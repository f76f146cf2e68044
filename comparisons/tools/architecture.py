"""``python -m comparisons.tools.architecture``: the floors and rooms, drawn from the code.

A *room* is a sub-package (``scratch.layers``) or a module at a package's top
(``scratch.network``); a *floor* is one of the three packages. The picture lists, floor by
floor from the top, each room with the modules it holds and the rooms it imports (read from
the imports themselves, by grimp, the library under import-linter). docs/architecture.md holds
it between its markers; ``--update docs/architecture.md`` rewrites it there, and the tests
check that the page and the code agree.
"""

import argparse
import sys
from pathlib import Path

FLOORS = ("comparisons", "reference", "scratch")
ORDER = ("cli", "profile_epoch", "report", "bench", "tools", "data", "parallel",  # top down,
         "grading", "checking", "twin",  # as the contracts in pyproject.toml stack them
         "estimators", "files", "training", "optim", "batching", "network", "layers",
         "conventions", "lecture")
BEGIN, END = "<!-- rooms: python -m comparisons.tools.architecture -->", "<!-- end of rooms -->"


def room_of(module: str) -> str:
    """The room a module belongs to: its floor and the next part of its name."""
    parts = module.split(".")
    return ".".join(parts[:2])


def rooms() -> dict[str, dict]:
    """room -> {"modules": the modules it holds (short names), "imports": the other rooms it
    imports directly}, floor by floor from the top, rooms in file order."""
    import grimp  # installed with import-linter

    graph = grimp.build_graph(*FLOORS)
    found: dict[str, dict] = {}
    for floor in FLOORS:
        for module in sorted(m for m in graph.modules if m.split(".")[0] == floor):
            if module == floor or module.endswith(".__main__"):
                continue
            room = found.setdefault(room_of(module), {"modules": [], "imports": set()})
            short = module.split(".", 2)[2] if module.count(".") >= 2 else None
            if short:
                room["modules"].append(short)
            for imported in graph.find_modules_directly_imported_by(module):
                if imported.split(".")[0] in FLOORS and room_of(imported) != room_of(module):
                    room["imports"].add(room_of(imported))  # a bare floor: its public names
    rank = {name: i for i, name in enumerate(ORDER)}
    return dict(sorted(found.items(), key=lambda item: (
        FLOORS.index(item[0].split(".")[0]), rank.get(item[0].split(".")[1], len(ORDER)))))


def picture() -> str:
    """The rooms as a Markdown table, floor by floor."""
    lines = ["| floor | room | holds | imports (rooms) |", "|---|---|---|---|"]
    found = rooms()
    for floor in FLOORS:
        for room, info in found.items():
            if room.split(".")[0] != floor:
                continue
            is_package = bool(info["modules"])
            name = room.split(".")[1] + ("/" if is_package else ".py")
            holds = ", ".join(m for m in info["modules"] if m != "__init__") or "-"
            imports = ", ".join(sorted(info["imports"])) or "-"
            lines.append(f"| {floor} | `{name}` | {holds} | {imports} |")
    return "\n".join(lines)


def current(path: Path) -> str:
    """The picture stored in ``path`` between the markers."""
    text = path.read_text()
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m comparisons.tools.architecture",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", metavar="FILE", type=Path,
                        help="write the picture into FILE between its markers")
    args = parser.parse_args(argv)
    text = picture()
    if args.update is None:
        print(text)
        return 0
    page = args.update.read_text()
    if BEGIN not in page or END not in page:
        print(f"{args.update} has no {BEGIN} ... {END} markers", file=sys.stderr)
        return 2
    head, rest = page.split(BEGIN, 1)
    args.update.write_text(f"{head}{BEGIN}\n{text}\n{END}{rest.split(END, 1)[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Folders the tests make as a user would have them, and what a folder holds."""

from pathlib import Path


def users_folder(folder):
    """``folder`` made with files of a user's own: a plot in figures/, notes, a data folder."""
    (folder / "figures").mkdir(parents=True)
    (folder / "figures" / "my_plot.png").write_bytes(b"\x89PNG mine")
    (folder / "notes.txt").write_text("mine")
    (folder / "data").mkdir()
    (folder / "data" / "raw.csv").write_text("a,b\n1,2\n")
    return folder


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file's bytes (None for a folder) under ``folder``, by relative path."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}

"""Folders the tests make as a user would have them."""


def users_folder(folder):
    """``folder`` made with files of a user's own: a plot in figures/, notes, a data folder."""
    (folder / "figures").mkdir(parents=True)
    (folder / "figures" / "my_plot.png").write_bytes(b"\x89PNG mine")
    (folder / "notes.txt").write_text("mine")
    (folder / "data").mkdir()
    (folder / "data" / "raw.csv").write_text("a,b\n1,2\n")
    return folder

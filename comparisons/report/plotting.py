"""What every figure shares: the backend, the colours, and the ways a figure is written out
(a PNG embedded in report.html, and PNG and SVG files for slides)."""

import base64
import io
import os
import sys
import textwrap

import matplotlib

if "ipykernel" not in sys.modules:  # a notebook keeps its inline backend
    matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

plt.rcParams["figure.constrained_layout.use"] = True  # labels never overlap a neighbour

COLORS = {"scratch": "#1f77b4", "torch": "#d62728", "torch_native": "#ff7f0e",
          "sklearn": "#2ca02c", "logistic": "#9467bd", "tanh": "#8c564b", "relu": "#17becf"}
FLOOR = 1e-17  # bit-identical results are drawn here on log scales
SHORT = {"scratch": "scratch", "torch": "torch twin\nsklearn conv.",
         "torch_native": "torch twin\ntorch conv.", "sklearn": "scikit-learn"}


def png(fig: Figure, dpi: int = 90) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight",
                metadata={"Software": None})
    return buffer.getvalue()


def svg(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buffer.getvalue()


def data_uri(png_bytes: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes).decode("ascii")


def save(fig: Figure, folder: str, name: str) -> bytes:
    """Write ``name``.png and ``name``.svg into ``folder``; return the PNG's bytes and close
    the figure."""
    os.makedirs(folder, exist_ok=True)
    image = png(fig)
    with open(os.path.join(folder, f"{name}.png"), "wb") as f:
        f.write(image)
    with open(os.path.join(folder, f"{name}.svg"), "wb") as f:
        f.write(svg(fig))
    plt.close(fig)
    return image


def show(fig: Figure, caption: str) -> None:
    """In a notebook: the figure, then its caption under it."""
    from IPython.display import display

    display(fig)
    plt.close(fig)
    print(textwrap.fill("Figure. " + caption, 100))

"""Report figures: matplotlib's Agg renderer without pyplot, PNG bytes out."""

import io


def new_figure(width: float, height: float, margins: dict):
    """A figure (inches) with one axes and fixed margins (`Figure.subplots_adjust` arguments).
    Without pyplot: its figure manager and its import (~0.1 s of a run) serve interactive windows,
    which reports never open. Fixed margins rather than bbox_inches="tight", which renders twice."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    figure.subplots_adjust(**margins)
    return figure, figure.add_subplot()


def png(figure, dpi: int) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()

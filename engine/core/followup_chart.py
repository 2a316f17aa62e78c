"""The follow-up report's chart: grouped bars drawn by matplotlib without a display."""

from __future__ import annotations

import io
from typing import cast

from engine.store.statuses import UNREPORTED, ProgressStatus

#: One colour per status, the same in every report.
COLOURS = {ProgressStatus.NOT_STARTED: "#9e9e9e", ProgressStatus.IN_PROGRESS: "#1f77b4",
           ProgressStatus.DONE: "#2ca02c", ProgressStatus.BLOCKED: "#d62728", UNREPORTED: "#ffbf00"}


def grouped_bars(groups: list[str], series: list[str], values: dict[str, dict[str, int]],
                 *, title: str) -> bytes:
    """A PNG with one group of bars per entry of `groups`, one bar per entry of `series`."""
    # lazy: matplotlib takes ~0.5 s to import; only the quarterly report draws.
    from matplotlib.figure import Figure  # a Figure draws with Agg, no display or pyplot
    from matplotlib.ticker import MaxNLocator  # lazy: with Figure

    figure = Figure(figsize=(max(6.0, 1.6 * len(groups) + 2), 4.2), dpi=100)
    axes = figure.subplots()
    width = 0.8 / max(len(series), 1)
    for number, name in enumerate(series):
        positions = [index + (number - (len(series) - 1) / 2) * width for index in range(len(groups))]
        axes.bar(positions, [values[group].get(name, 0) for group in groups], width,
                 label=name.replace("_", " "), color=COLOURS.get(name))
    axes.set_xticks(range(len(groups)), groups)
    axes.set_ylabel("actions")
    cast(MaxNLocator, axes.yaxis.get_major_locator()).set_params(integer=True)
    axes.set_title(title)
    axes.legend(fontsize="small", ncols=len(series), loc="upper center",
                bbox_to_anchor=(0.5, -0.1), frameon=False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()

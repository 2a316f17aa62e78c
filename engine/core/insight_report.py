"""The figures of engine.core.insight for a meeting's papers, in English or Urdu: a CSV, a
markdown summary (the Prefect artifact), and three charts drawn as SVG by hand (the web
page shows them as they are; no script, no chart library) or as PNG by matplotlib.

The charts are those a secretariat puts in its quarterly papers: how long each party's
steps waited (median and 90th percentile), the share of steps closed after their deadline
per quarter, and how old the open steps are.
"""

from __future__ import annotations

import csv
import io
from html import escape

from engine.core.insight_terms import AGE_BUCKETS, OUTCOMES, Figures

LABELS: dict[str, dict[str, str]] = {
    "title": {"en": "Where approvals wait", "ur": "منظوریاں کہاں رکتی ہیں"},
    "waits": {"en": "Days each step waited, by party (median, 90th percentile)",
              "ur": "ہر مرحلے کا انتظار، دنوں میں، فریق وار (وسطانیہ، نوے فیصد)"},
    "overdue": {"en": "Share of steps closed after their deadline, by quarter",
                "ur": "مقررہ تاریخ کے بعد بند ہونے والے مراحل کا تناسب، سہ ماہی وار"},
    "ageing": {"en": "Open steps by days waiting", "ur": "کھلے مراحل، انتظار کے دنوں کے لحاظ سے"},
    "median": {"en": "median", "ur": "وسطانیہ"},
    "p90": {"en": "90th percentile", "ur": "نوے فیصد"},
    "days": {"en": "days", "ur": "دن"},
    "none": {"en": "nothing to show", "ur": "دکھانے کو کچھ نہیں"},
    "figure": {"en": "figure", "ur": "پیمانہ"},
    "party": {"en": "party", "ur": "فریق"},
    "step": {"en": "step", "ur": "مرحلہ"},
    "office": {"en": "office", "ur": "عہدہ"},
    "value": {"en": "value", "ur": "قدر"},
    "started": {"en": "items started", "ur": "شروع ہونے والی دستاویزات"},
    "ended": {"en": "items ended", "ur": "ختم ہونے والی دستاویزات"},
    "submission_to_end": {"en": "days from submission to end", "ur": "جمع کرانے سے اختتام تک دن"},
    "waited": {"en": "days waited", "ur": "انتظار کے دن"},
    "returns": {"en": "returns for revision", "ur": "نظرِ ثانی کے لیے واپسی"},
    "cycles": {"en": "items by cycles taken", "ur": "دوروں کے لحاظ سے دستاویزات"},
    "steps_closed": {"en": "steps closed", "ur": "بند مراحل"},
    "steps_overdue": {"en": "steps closed late", "ur": "تاخیر سے بند مراحل"},
    "late": {"en": "latest steps (working days late)", "ur": "سب سے تاخیر والے مراحل (کام کے دن)"},
    "reminders": {"en": "reminders", "ur": "یاد دہانیاں"},
    "escalations": {"en": "escalations", "ur": "بالا افسر کو ارسال"},
    "open": {"en": "open steps", "ur": "کھلے مراحل"},
    "oldest": {"en": "oldest, days", "ur": "سب سے پرانا، دن"},
    "count": {"en": "count", "ur": "تعداد"},
    "max": {"en": "longest", "ur": "طویل ترین"},
    "in_force": {"en": "in force", "ur": "نافذ"},
    "adopted": {"en": "adopted", "ur": "منظور شدہ"},
    "executed": {"en": "executed", "ur": "عمل درآمد شدہ"},
    "rejected": {"en": "rejected", "ur": "مسترد"},
    "withdrawn": {"en": "withdrawn", "ur": "واپس لی گئی"},
}
COLOURS = ("#1f77b4", "#9ecae1", "#2ca02c", "#ffbf00", "#d62728")


def label(key: str, lang: str) -> str:
    entry = LABELS.get(key)
    return entry.get(lang, entry["en"]) if entry else key


def _days(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def rows(figures: Figures, lang: str = "en") -> list[list[str]]:
    """The figures as one table: figure, party, step, office, measure, value."""
    t = lambda key: label(key, lang)  # noqa: E731 - a local shorthand
    table = [[t("figure"), t("party"), t("step"), t("office"), "", t("value")],
             [t("started"), "", "", "", "", str(figures.started)]]
    table += [[t("ended"), "", "", "", t(outcome), str(figures.ended[outcome])] for outcome in OUTCOMES]
    s = figures.submission_to_end
    table += [[t("submission_to_end"), "", "", "", t(name), value] for name, value in (
        ("count", str(s.count)), ("median", _days(s.median)), ("p90", _days(s.p90)), ("max", _days(s.max)))]
    for wait in figures.waits:
        w = wait.spread
        for name, value in (("count", str(w.count)), ("median", _days(w.median)), ("p90", _days(w.p90)),
                            ("max", _days(w.max)), ("steps_overdue", str(wait.overdue))):
            table.append([t("waited"), wait.party, wait.step, wait.office, t(name), value])
    table += [[t("returns"), r.party, r.step, "", "", str(r.returns)] for r in figures.returns]
    table += [[t("cycles"), "", "", "", str(cycles), str(count)] for cycles, count in figures.cycles.items()]
    table += [[t("steps_closed"), "", "", "", "", str(figures.steps_closed)],
              [t("steps_overdue"), "", "", "", "", str(figures.steps_overdue)]]
    table += [[t("steps_overdue"), "", "", "", q.quarter, f"{q.overdue}/{q.closed}"] for q in figures.quarters]
    table += [[t("late"), x.party, x.step, x.office, x.reference, str(x.working_days_late)]
              for x in figures.longest_late]
    for notice in figures.notices:
        table += [[t("reminders"), notice.party, "", "", "", str(notice.reminders)],
                  [t("escalations"), notice.party, "", "", "", str(notice.escalations)]]
    for waiting in figures.open_steps:
        table += [[t("open"), waiting.party, waiting.step, waiting.office, t("count"), str(waiting.count)],
                  [t("open"), waiting.party, waiting.step, waiting.office, t("oldest"), _days(waiting.oldest)]]
        table += [[t("open"), waiting.party, waiting.step, waiting.office, f"{bucket} {t('days')}", str(n)]
                  for bucket, n in waiting.buckets.items()]
    return table


def to_csv(figures: Figures, lang: str = "en") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows(figures, lang))
    return buffer.getvalue()


def markdown(figures: Figures) -> str:
    """The figures as a markdown page (the quarterly run's Prefect artifact)."""
    f = figures.filters
    s = figures.submission_to_end
    lines = [f"# Where approvals wait, {f.start} to {f.end}", "",
             f"- items started: {figures.started}",
             "- items ended: " + ", ".join(f"{o.replace('_', ' ')} {n}" for o, n in figures.ended.items()),
             f"- submission to end: {s.count} items, median {_days(s.median)} d, p90 {_days(s.p90)} d",
             f"- steps closed late: {figures.steps_overdue} of {figures.steps_closed}",
             "", "| party | step | office | steps | median d | p90 d | max d | late |", "|---" * 8 + "|"]
    lines += [f"| {w.party} | {w.step} | {w.office} | {w.spread.count} | {_days(w.spread.median)} | "
              f"{_days(w.spread.p90)} | {_days(w.spread.max)} | {w.overdue} |" for w in figures.waits]
    lines += ["", "## Waited on now", ""]
    lines += [f"- {o.party} {o.step} ({o.office}): {o.count} open, oldest {o.oldest:.1f} days, "
              f"{o.overdue} overdue" for o in figures.open_steps] or ["- nothing is open"]
    lines += ["", "## Latest steps", ""]
    lines += [f"- {x.reference} {x.party} {x.step} ({x.office}): due {x.due_at:%Y-%m-%d}, "
              f"{x.working_days_late} working days late{'' if x.closed_at else ', still open'}"
              for x in figures.longest_late] or ["- no step was late"]
    return "\n".join(lines)


# -- charts ---------------------------------------------------------------------------

def _svg(width: int, height: int, title: str, body: list[str], lang: str) -> str:
    # Drawn left to right in both languages (an Urdu page must not mirror the axes); the
    # browser lays out each Urdu label right to left by itself. An Urdu title sits right.
    x, anchor = (width - 10, "end") if lang == "ur" else (10, "start")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" direction="ltr" '
            f'font-family="Noto Naskh Arabic, Noto Nastaliq Urdu, DejaVu Sans, sans-serif" font-size="12">'
            f'<rect width="100%" height="100%" fill="#fff"/>'
            f'<text x="{x}" y="20" font-size="14" font-weight="bold" text-anchor="{anchor}">'
            f'{escape(title)}</text>' + "".join(body) + "</svg>")


def _text(x: float, y: float, content: str, anchor: str = "start") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{escape(content)}</text>'


def waits_svg(figures: Figures, lang: str = "en") -> str:
    """Horizontal bars: median and 90th percentile of each party's step waits, in days."""
    title = label("waits", lang)
    waits = figures.waits
    if not waits:
        return _svg(640, 60, title, [_text(10, 45, label("none", lang))], lang)
    top, row, left, width = 40, 26, 330, 360
    longest = max((w.spread.p90 or 0) for w in waits) or 1.0
    body = []
    for index, wait in enumerate(waits):
        y = top + index * row
        body.append(_text(left - 6, y + 15, f"{wait.party} · {wait.step} · {wait.office}", "end"))
        for value, colour, height, offset in ((wait.spread.p90, COLOURS[1], 18, 0),
                                              (wait.spread.median, COLOURS[0], 10, 4)):
            size = width * (value or 0) / longest
            body.append(f'<rect x="{left}" y="{y + offset}" width="{size:.1f}" height="{height}" fill="{colour}"/>')
        body.append(_text(left + width * (wait.spread.p90 or 0) / longest + 4, y + 14,
                          f"{_days(wait.spread.median)} / {_days(wait.spread.p90)} {label('days', lang)}"))
    legend_y = top + len(waits) * row + 14
    body += [f'<rect x="{left}" y="{legend_y - 9}" width="10" height="10" fill="{COLOURS[0]}"/>',
             _text(left + 14, legend_y, label("median", lang)),
             f'<rect x="{left + 140}" y="{legend_y - 9}" width="10" height="10" fill="{COLOURS[1]}"/>',
             _text(left + 154, legend_y, label("p90", lang))]
    return _svg(left + width + 130, legend_y + 12, title, body, lang)


def overdue_svg(figures: Figures, lang: str = "en") -> str:
    """Vertical bars: the share of steps closed late in each quarter of the period."""
    title = label("overdue", lang)
    # A long period shows the quarters with closed steps only, so that the labels fit.
    quarters = figures.quarters if len(figures.quarters) <= 12 else [q for q in figures.quarters if q.closed]
    base, height, left, step = 200, 150, 50, 90
    body = [f'<line x1="{left}" y1="{base}" x2="{left + step * max(len(quarters), 1)}" y2="{base}" stroke="#333"/>',
            _text(left - 6, base - height + 4, "100%", "end"), _text(left - 6, base + 4, "0%", "end")]
    for index, quarter in enumerate(quarters):
        share = quarter.share or 0.0
        x = left + index * step + 20
        body.append(f'<rect x="{x}" y="{base - height * share:.1f}" width="50" height="{height * share:.1f}" '
                    f'fill="{COLOURS[4]}"/>')
        body.append(_text(x + 25, base - height * share - 4,
                          f"{share:.0%} ({quarter.overdue}/{quarter.closed})", "middle"))
        body.append(_text(x + 25, base + 16, quarter.quarter, "middle"))
    return _svg(max(360, left + step * len(quarters) + 40), base + 30, title, body, lang)


def ageing_svg(figures: Figures, lang: str = "en") -> str:
    """Stacked horizontal bars: each party's open steps by days since they opened."""
    title = label("ageing", lang)
    by_party: dict[str, dict[str, int]] = {}
    for waiting in figures.open_steps:
        totals = by_party.setdefault(waiting.party, {bucket: 0 for bucket, _ in AGE_BUCKETS})
        for bucket, count in waiting.buckets.items():
            totals[bucket] += count
    if not by_party:
        return _svg(640, 60, title, [_text(10, 45, label("none", lang))], lang)
    top, row, left, width = 40, 26, 120, 420
    most = max(sum(counts.values()) for counts in by_party.values())
    body = []
    for index, (party, counts) in enumerate(sorted(by_party.items())):
        y, x = top + index * row, float(left)
        body.append(_text(left - 6, y + 14, party, "end"))
        for colour, (bucket, _) in zip(COLOURS[::-1], AGE_BUCKETS, strict=False):
            size = width * counts[bucket] / most
            if size:
                body.append(f'<rect x="{x:.1f}" y="{y}" width="{size:.1f}" height="18" fill="{colour}">'
                            f'<title>{escape(bucket)}: {counts[bucket]}</title></rect>')
            x += size
        body.append(_text(x + 4, y + 14, str(sum(counts.values()))))
    legend_y = top + len(by_party) * row + 14
    for index, (colour, (bucket, _)) in enumerate(zip(COLOURS[::-1], AGE_BUCKETS, strict=False)):
        body += [f'<rect x="{left + index * 100}" y="{legend_y - 9}" width="10" height="10" fill="{colour}"/>',
                 _text(left + index * 100 + 14, legend_y, f"{bucket} {label('days', lang)}")]
    return _svg(left + width + 80, legend_y + 12, title, body, lang)


CHARTS = {"waits": waits_svg, "overdue": overdue_svg, "ageing": ageing_svg}


def chart_png(figures: Figures, name: str, lang: str = "en") -> bytes:
    """One of the charts as PNG (matplotlib, without a display)."""
    # lazy: matplotlib takes ~0.5 s to import; only an export draws PNGs.
    from matplotlib import rc_context

    # Matplotlib (3.11, with libraqm) joins and orders Arabic-script text; DejaVu has no Urdu.
    families = ["Noto Naskh Arabic", "Noto Sans Arabic", "DejaVu Sans"] if lang == "ur" else ["DejaVu Sans"]
    with rc_context({"font.family": families}):
        return _png(figures, name, lang)


def _png(figures: Figures, name: str, lang: str) -> bytes:
    from matplotlib.figure import Figure  # lazy: with chart_png

    figure = Figure(figsize=(8, 4.5), dpi=100)
    axes = figure.subplots()
    if name == "waits":
        names = [f"{w.party} · {w.step} · {w.office}" for w in figures.waits]
        figure.set_size_inches(9, max(3.0, 1.2 + 0.28 * len(names)))
        axes.barh(names, [w.spread.p90 or 0 for w in figures.waits], color=COLOURS[1], label=label("p90", lang))
        axes.barh(names, [w.spread.median or 0 for w in figures.waits], height=0.4, color=COLOURS[0],
                  label=label("median", lang))
        axes.set_xlabel(label("days", lang))
        axes.invert_yaxis()
        axes.legend()
    elif name == "overdue":
        axes.bar([q.quarter for q in figures.quarters], [100 * (q.share or 0) for q in figures.quarters],
                 color=COLOURS[4])
        axes.set_ylim(0, 100)
        axes.set_ylabel("%")
    elif name == "ageing":
        parties = sorted({o.party for o in figures.open_steps})
        left = [0] * len(parties)
        for colour, (bucket, _) in zip(COLOURS[::-1], AGE_BUCKETS, strict=False):
            counts = [sum(o.buckets[bucket] for o in figures.open_steps if o.party == p) for p in parties]
            axes.barh(parties, counts, left=left, color=colour, label=f"{bucket} {label('days', lang)}")
            left = [a + b for a, b in zip(left, counts, strict=True)]
        axes.legend()
    else:
        raise KeyError(name)
    axes.set_title(label(name, lang))
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()

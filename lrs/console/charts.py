"""The report charts as SVG, drawn on the server with pygal (issue 14). No Flask here.

Each chart is an SVG image of its own (GET /charts/<kind>.svg with its numbers in the query, see
lrs/console/reports.py) that a page shows with <img src>: an image never runs scripts, the pages
stay without any, and drawing (10-40 ms of pygal per chart) is not part of the page's time. pygal
always writes a <script> with its configuration (for the tooltips of its optional JavaScript): it is
taken out of the tree, so that the SVG holds none even when opened on its own. Every label is text
in the XML tree, escaped by the serializer.
"""
import xml.etree.ElementTree as ElementTree

import pygal
from pygal.style import Style

SVG = "{http://www.w3.org/2000/svg}"
# the console's palette (console.css): dark ink on white, the accent blue, contrast >= 4.5:1
STYLE = Style(background="#ffffff", plot_background="#ffffff", foreground="#1b1f24", foreground_strong="#1b1f24",
              foreground_subtle="#4a5360", opacity=".9", opacity_hover="1", colors=("#0b5cad", "#1e6b34", "#a4161a"),
              font_family="system-ui, sans-serif", label_font_size=13, major_label_font_size=13,
              value_font_size=12, title_font_size=16, legend_font_size=13)
LABEL = 40               # characters of a label drawn (pygal cuts longer ones)
OPTIONS = dict(style=STYLE, js=[], disable_xml_declaration=True, width=720, height=360, explicit_size=False,
               print_values=True, print_zeroes=False, legend_at_bottom=True, margin=16, truncate_label=LABEL,
               truncate_legend=LABEL, show_y_guides=True, no_data_text="nothing to show yet")


def svg(chart):
    """The chart's SVG text without any <script> element."""
    root = chart.render_tree()
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in ("script", SVG + "script"):      # pygal's tags carry no namespace
                parent.remove(child)
    return ElementTree.tostring(root, encoding="unicode")


def counted(chart, *series):
    """Whole numbers on the value axis of a chart of counts (pygal would put 0.2, 0.4... under 5)."""
    top = max([0] + [value for values in series for value in values])
    step = max(1, -(-top // 8))
    chart.y_labels = list(range(0, top + step + 1, step))
    return chart


TENTHS = ["%d–%d%%" % (n * 10, n * 10 + 10) for n in range(10)]


def score_distribution(counts):
    """Learners by best scaled score in tenths: counts[n] for n/10 <= score < (n+1)/10 (the last tenth
    holding 1.0), as lrs/reports/completions counts them."""
    chart = pygal.Bar(title="Best scores", x_title="scaled score", y_title="learners", show_legend=False, **OPTIONS)
    chart.x_labels = TENTHS
    chart.add("learners", list(counts))
    return counted(chart, counts)


def completion_rates(names, rates):
    """Completion rate (0..1) per activity."""
    chart = pygal.HorizontalBar(title="Completion rate per activity", show_legend=False, range=(0, 100),
                                value_formatter=lambda value: "%d%%" % round(value), **dict(
                                    OPTIONS, height=max(200, 90 + 34 * len(names))))
    chart.x_labels = list(names)
    chart.add("completion rate", [round(rate * 100, 1) for rate in rates])
    return chart


def completions_over_time(periods, completed, passed, failed):
    """Completions, passes and failures per period (label)."""
    chart = pygal.Bar(title="Completions over time", y_title="learner-activities", x_label_rotation=-30, **OPTIONS)
    chart.x_labels = list(periods)
    for name, values in (("completed", completed), ("passed", passed), ("failed", failed)):
        chart.add(name, list(values))
    return counted(chart, completed, passed, failed)

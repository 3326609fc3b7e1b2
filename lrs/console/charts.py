"""The report charts as SVG, drawn on the server with pygal (issue 14). No Flask here.

Each chart is an SVG image that the page embeds as <img src="data:image/svg+xml;base64,...">: an
image never runs scripts, the page itself stays without any, and its Content-Security-Policy only
has to allow `img-src data:`. pygal always writes a <script> with its configuration (for the
tooltips of its optional JavaScript): it is taken out of the tree, so that the SVG holds none even
when opened on its own. Every label is text in the XML tree, escaped by the serializer.
"""
import base64
import xml.etree.ElementTree as ElementTree

import pygal
from pygal.style import Style

SVG = "{http://www.w3.org/2000/svg}"
# the console's palette (console.css): dark ink on white, the accent blue, contrast >= 4.5:1
STYLE = Style(background="#ffffff", plot_background="#ffffff", foreground="#1b1f24", foreground_strong="#1b1f24",
              foreground_subtle="#4a5360", opacity=".9", opacity_hover="1", colors=("#0b5cad", "#1e6b34", "#a4161a"),
              font_family="system-ui, sans-serif", label_font_size=13, major_label_font_size=13,
              value_font_size=12, title_font_size=16, legend_font_size=13)
OPTIONS = dict(style=STYLE, js=[], disable_xml_declaration=True, width=720, height=360, explicit_size=False,
               print_values=True, print_zeroes=False, legend_at_bottom=True, margin=16, truncate_label=40,
               truncate_legend=40, show_y_guides=True, no_data_text="nothing to show yet")


def svg(chart):
    """The chart's SVG text without any <script> element."""
    root = chart.render_tree()
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in ("script", SVG + "script"):      # pygal's tags carry no namespace
                parent.remove(child)
    return ElementTree.tostring(root, encoding="unicode")


def data_uri(chart):
    return "data:image/svg+xml;base64," + base64.b64encode(svg(chart).encode("utf-8")).decode("ascii")


def score_distribution(buckets):
    """Learners by best scaled score in tenths: buckets [{"from", "to", "count"}] (lrs/reports/completions)."""
    chart = pygal.Bar(title="Best scores", x_title="scaled score", y_title="learners", show_legend=False, **OPTIONS)
    chart.x_labels = ["%d–%d%%" % (round(b["from"] * 100), round(b["to"] * 100)) for b in buckets]
    chart.add("learners", [b["count"] for b in buckets])
    return chart


def completion_rates(rates):
    """Completion rate per activity: rates [(activity name, rate 0..1)]."""
    chart = pygal.HorizontalBar(title="Completion rate per activity", show_legend=False, range=(0, 100),
                                value_formatter=lambda value: "%d%%" % round(value), **dict(
                                    OPTIONS, height=max(200, 90 + 34 * len(rates))))
    chart.x_labels = [name for name, _ in rates]
    chart.add("completion rate", [round(rate * 100, 1) for _, rate in rates])
    return chart


def completions_over_time(periods):
    """Completions, passes and failures per period: periods [(label, completions, passed, failed)]."""
    chart = pygal.Bar(title="Completions over time", y_title="learner-activities", x_label_rotation=-30, **OPTIONS)
    chart.x_labels = [label for label, *_ in periods]
    for number, name in enumerate(("completed", "passed", "failed"), start=1):
        chart.add(name, [row[number] for row in periods])
    return chart

"""The console's charts (issue 14): SVG drawn by pygal on the server, without any script, labels escaped."""
import re
import xml.etree.ElementTree as ElementTree

from lrs.console import charts

EVIL = "<script>alert(1)</script>"


def _all_charts():
    return [charts.score_distribution([0, 0, 0, 0, 1, 2, 3, 0, 0, 4]),
            charts.completion_rates([EVIL, "Fire safety"], [0.5, 1.0]),
            charts.completions_over_time(["2026-03", EVIL], [3, 1], [2, 0], [1, 1])]


def test_pygal_writes_a_script_that_the_console_removes():
    chart = charts.score_distribution([1] * 10)
    assert "<script" in chart.render(is_unicode=True)          # pygal's own output: the reason for svg()
    assert "<script" not in charts.svg(chart)


def test_every_chart_is_well_formed_svg_without_script_and_with_labels_escaped():
    for chart in _all_charts():
        text = charts.svg(chart)
        root = ElementTree.fromstring(text)
        assert root.tag.endswith("svg") and "<script" not in text
        assert not [element for element in root.iter() if element.tag.split("}")[-1] == "script"]
    assert "&lt;script&gt;" in charts.svg(_all_charts()[1])


def test_counts_are_drawn_on_a_whole_number_axis():
    text = charts.svg(charts.completions_over_time(["a", "b"], [3, 1], [2, 0], [1, 1]))
    labels = re.findall(r'<text[^>]*>([\d.]+)</text>', text)
    assert labels and all("." not in label for label in labels)

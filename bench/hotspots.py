"""Summarise py-spy profiles (`py-spy record --format raw`, collapsed stacks) as hot-spot tables.

    python -m bench.hotspots bench/results/pyspy-*.txt [--top 25]

Prints, over all samples of all files given (idle samples are already excluded by py-spy):
- self time by function: where the CPU actually is;
- inclusive time by function: what the time is spent *under* (request handling, validation, ...);
- self time by source file / package: the coarse picture (sqlite3, json, marshmallow, werkzeug...);
- self time by line of lrs/ and schemas/: time spent in C (sqlite3, json) is charged to the
  Python line that called it, so this names the SQL statement or call that costs.
Percentages are of all non-idle samples.
"""
import argparse
import collections
import os
import re
import sys

FRAME_RE = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def _short_file(path):
    """py-spy already shortens to the package part (lrs/store/sqlite.py, json/encoder.py);
    with --full-filenames, cut absolute paths the same way."""
    path = path.replace("\\", "/")
    if not path.startswith("/"):
        return path
    for marker in ("/site-packages/", "/lib/python3.11/", "/lib/python3.12/", "/lib/python3.13/"):
        if marker in path:
            return path.split(marker, 1)[1]
    for marker in ("/lrs/", "/schemas/", "/bench/"):
        if marker in path:
            return marker.lstrip("/") + path.rsplit(marker, 1)[1]
    return os.path.basename(path)


def parse(paths):
    """[(frames, count)] where frames are (func, file) from outermost to innermost."""
    stacks = []
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                line = line.rstrip("\n")
                if not line:
                    continue
                stack, _, count = line.rpartition(" ")
                try:
                    n = int(count)
                except ValueError:
                    continue
                frames = []
                for frame in stack.split(";"):
                    m = FRAME_RE.match(frame)
                    if m:
                        frames.append((m.group("func"), _short_file(m.group("file")),
                                       m.group("line") or ""))
                    else:
                        frames.append((frame, "", ""))
                stacks.append((frames, n))
    return stacks


def summarise(stacks, top=25):
    total = sum(n for _, n in stacks) or 1
    self_fn = collections.Counter()
    incl_fn = collections.Counter()
    self_file = collections.Counter()
    self_line = collections.Counter()
    for frames, n in stacks:
        # py-spy puts process/thread pseudo-frames first; they have no file
        real = [f for f in frames if f[1]]
        if not real:
            continue
        func, path, line = real[-1]
        self_fn["%s (%s)" % (func, path)] += n
        self_file[path] += n
        if path.startswith(("lrs/", "schemas/", "wsgi")):
            # time in C (sqlite3, json) shows on the calling line: this tells which statement
            self_line["%s (%s:%s)" % (func, path, line)] += n
        for f in set((func, path) for func, path, _ in real):
            incl_fn["%s (%s)" % f] += n
    return {
        "samples": total,
        "self_by_function": [(k, v, 100.0 * v / total) for k, v in self_fn.most_common(top)],
        "inclusive_by_function": [(k, v, 100.0 * v / total) for k, v in incl_fn.most_common(top)],
        "self_by_file": [(k, v, 100.0 * v / total) for k, v in self_file.most_common(top)],
        "self_by_project_line": [(k, v, 100.0 * v / total) for k, v in self_line.most_common(top)],
    }


def format_summary(summary):
    lines = ["%d non-idle samples" % summary["samples"]]
    for title, key in (("self time by function", "self_by_function"),
                       ("inclusive time by function", "inclusive_by_function"),
                       ("self time by file", "self_by_file"),
                       ("self time by line of the LRS's own code", "self_by_project_line")):
        lines.append("")
        lines.append(title)
        for name, _, pct in summary[key]:
            lines.append("  %5.1f %%  %s" % (pct, name))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Summarise py-spy raw (collapsed) profiles.")
    parser.add_argument("files", nargs="+")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    print(format_summary(summarise(parse(args.files), args.top)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

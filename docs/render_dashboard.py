#!/usr/bin/env python3
"""Draws the stack's CloudWatch dashboard as an SVG, from the dashboard body in template.yaml.

    tests/.cache/venv/bin/python3 docs/render_dashboard.py > docs/dashboard.svg

The body is evaluated as CloudFormation would with every function enabled (Fn::Join, Fn::If on
the <Function>Enabled conditions, Fn::Sub with the stack named "switchyard" in eu-west-1), then
each widget is laid out on CloudWatch's 24-column grid (widgets without x/y flow left to right,
as the console places them) and drawn with its title and what it plots: the metric lines of a
metric widget, the query of a log widget. No data is drawn: it is the layout and the content, not
a screenshot. PyYAML comes with cfn-lint (tests/requirements.txt).
"""

import json
import re
import sys
from pathlib import Path
from xml.sax.saxutils import escape

import yaml

ROOT = Path(__file__).resolve().parent.parent
STACK, REGION = "switchyard", "eu-west-1"
CELL_W, CELL_H, PAD = 52, 34, 6  # pixels per grid column / row


class Loader(yaml.SafeLoader):
    pass


def intrinsic(name):
    long = name if name == "Ref" else f"Fn::{name}"

    def construct(loader, node):
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        if name == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        return {long: value}

    return construct


for tag in ["Ref", "Sub", "If", "Join", "GetAtt", "Equals", "Not", "And", "Or", "Select",
            "Split", "Condition", "FindInMap", "GetAZs", "Base64", "ImportValue"]:
    Loader.add_constructor(f"!{tag}", intrinsic(tag))


def evaluate(value):
    if isinstance(value, str):
        return value
    (function, args), = value.items()
    if function == "Fn::Join":
        return args[0].join(evaluate(part) for part in args[1])
    if function == "Fn::If":
        # Every <Function>Enabled condition is true: every row is drawn.
        return evaluate(args[1])
    if function == "Fn::Sub":
        def sub(match):
            name = match.group(1)
            return {"AWS::StackName": STACK, "AWS::Region": REGION}.get(name, name)
        return re.sub(r"\$\{([^}]+)\}", sub, args)
    raise ValueError(f"{function} in the dashboard body")


def layout(widgets):
    """x, y, width, height in grid units: CloudWatch's left-to-right flow."""
    x = y = row_height = 0
    for w in widgets:
        width, height = w.get("width", 6), w.get("height", 6)
        if x + width > 24:
            x, y, row_height = 0, y + row_height, 0
        yield w, x, y, width, height
        x += width
        row_height = max(row_height, height)


def metric_label(metric):
    """What a line plots, short: the metric, its statistic, and the dimensions the widget's title
    does not already say (the function; a resource reference)."""
    options = metric[-1] if isinstance(metric[-1], dict) else {}
    names = [m for m in metric if isinstance(m, str)]
    namespace, name, dims = names[0], names[1], names[2:]
    shown = [f"{k}={v}" for k, v in zip(dims[::2], dims[1::2])
             if k not in ("function", "FunctionName", "QueueName")]
    source = "" if namespace == "Switchyard" else namespace.split("/")[-1] + " "
    stat = f" {options['stat']}" if "stat" in options else ""
    return f"{source}{name}{stat} " + " ".join(shown)


def text(x, y, content, size=11, weight="normal", color="#16191f"):
    return (f'<text x="{x}" y="{y}" font-family="Helvetica, Arial, sans-serif" font-size="{size}" '
            f'font-weight="{weight}" fill="{color}">{escape(content)}</text>')


def wrap(line, chars):
    return [line[i:i + chars] for i in range(0, len(line), chars)] or [""]


def draw(body):
    placed = list(layout(body["widgets"]))
    rows = max(y + h for _, _, y, _, h in placed)
    width, height = 24 * CELL_W + PAD, rows * CELL_H + PAD
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}">',
           f'<rect width="{width}" height="{height}" fill="#f2f3f3"/>']
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"]
    for w, gx, gy, gw, gh in placed:
        x, y = gx * CELL_W + PAD, gy * CELL_H + PAD
        ww, wh = gw * CELL_W - PAD, gh * CELL_H - PAD
        out.append(f'<rect x="{x}" y="{y}" width="{ww}" height="{wh}" fill="#ffffff" '
                   f'stroke="#d5dbdb"/>')
        p = w["properties"]
        chars = max(10, ww // 6)
        if w["type"] == "text":
            for i, line in enumerate(p["markdown"].split("\n")):
                bold = line.startswith("#")
                out.append(text(x + 10, y + 20 + i * 18, line.lstrip("# "),
                                15 if bold else 11, "bold" if bold else "normal"))
            continue
        out.append(text(x + 8, y + 16, p["title"], 10.5, "bold"))
        # The plot area: axes only, no data.
        top, bottom = y + 26, y + wh - 8 - 13 * max(1, len(p.get("metrics", [1])))
        out.append(f'<line x1="{x + 10}" y1="{bottom}" x2="{x + ww - 10}" y2="{bottom}" '
                   f'stroke="#aab7b8"/>')
        out.append(f'<line x1="{x + 10}" y1="{top}" x2="{x + 10}" y2="{bottom}" '
                   f'stroke="#aab7b8"/>')
        if w["type"] == "log":
            query = p["query"].split("|")
            for i, line in enumerate(l for part in query for l in wrap(part.strip(), chars - 2)):
                out.append(text(x + 16, top + 14 + i * 12, line, 9, color="#545b64"))
            continue
        for i, metric in enumerate(p["metrics"]):
            label = metric_label(metric)
            ly = bottom + 14 + i * 13
            color = colors[i % len(colors)]
            out.append(f'<rect x="{x + 10}" y="{ly - 8}" width="8" height="8" fill="{color}"/>')
            out.append(text(x + 22, ly, label[:chars], 10, color="#545b64"))
    out.append("</svg>")
    return "\n".join(out)


def main():
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=Loader)
    body = json.loads(evaluate(template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]))
    sys.stdout.write(draw(body) + "\n")


if __name__ == "__main__":
    main()

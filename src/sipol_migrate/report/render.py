"""Jinja2 rendering of the report pages: one self-contained file each.

The stylesheet and the script are read from `reports/` and inlined; data for the page's script
travels as JSON in a `<script type="application/json">` block, escaped so that no value can close
the block. Nothing is loaded from the network.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from ..output import atomic_write
from ..settings import REPORTS_DIR
from .svg import number

TEMPLATES_DIR = REPORTS_DIR


def embed_json(data) -> Markup:
    """JSON safe inside a <script> block: '<', '>' and '&' are written as \\u escapes."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


def _asset(name: str) -> Markup:
    return Markup((TEMPLATES_DIR / name).read_text(encoding="utf-8"))


def _percent(part: int, whole: int) -> str:
    if not whole:
        return "0%"
    return f"{100 * part / whole:.1f}%".replace(".", ",")


@lru_cache(maxsize=2)
def environment(templates: Path = TEMPLATES_DIR) -> Environment:
    env = Environment(loader=FileSystemLoader(str(templates)), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["angka"] = number
    env.filters["persen"] = _percent
    env.globals["asset"] = _asset
    env.globals["embed_json"] = embed_json
    return env


def render(template: str, **context) -> str:
    context.setdefault("generated_at", datetime.now().strftime("%d-%m-%Y %H:%M"))
    return environment().get_template(template).render(**context)


def write_page(path: Path, template: str, **context) -> Path:
    with atomic_write(path, newline=None) as handle:
        handle.write(render(template, **context))
    return path

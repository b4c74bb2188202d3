import html
import re
from collections.abc import Callable, Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}")

FILTERS: dict[str, Callable[[str], str]] = {
    "upper": str.upper,
    "lower": str.lower,
    "title": str.title,
    "strip": str.strip,
}


class TemplateError(KeyError):
    """A placeholder names an unknown variable or filter."""


def _substitute(expr: str, context: Mapping[str, Any]) -> str:
    name, *filters = (part.strip() for part in expr.split("|"))
    if name not in context:
        raise TemplateError(f"no value for {name!r}")
    value = str(context[name])
    raw = False
    for f in filters:
        if f == "raw":
            raw = True
        elif f in FILTERS:
            value = FILTERS[f](value)
        else:
            raise TemplateError(f"unknown filter {f!r}")
    return value if raw else html.escape(value)


def render(template: str, context: Mapping[str, Any]) -> str:
    """Replace each placeholder; values are HTML-escaped unless filtered with ``raw``."""
    return _PLACEHOLDER.sub(lambda m: _substitute(m.group(1), context), template)

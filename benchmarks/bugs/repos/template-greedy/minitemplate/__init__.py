"""``{{ name }}`` and ``{{ name|filter }}`` substitution with HTML escaping."""

from minitemplate.render import TemplateError, render

__all__ = ["TemplateError", "render"]

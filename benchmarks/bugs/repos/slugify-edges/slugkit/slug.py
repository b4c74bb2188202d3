import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")


def slugify(text: str, *, max_length: int | None = None) -> str:
    """Lower-case ASCII words joined by single dashes, no dash at either end."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _NON_WORD.sub("-", ascii_text.lower()).strip("-")
    if max_length is not None and len(slug) > max_length:
        slug = slug[:max_length].rstrip("-")
    return slug


def unique_slug(text: str, taken: set[str]) -> str:
    """A slug not in ``taken``: ``title``, then ``title-2``, ``title-3``, ..."""
    base = slugify(text) or "item"
    candidate = base
    n = 2
    while candidate in taken:
        candidate = f"{base}-{n}"
        n += 1
    return candidate

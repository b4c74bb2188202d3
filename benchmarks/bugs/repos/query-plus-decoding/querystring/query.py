from urllib.parse import quote, unquote


def _decode(part: str) -> str:
    return unquote(part.replace("+", " "))


def parse_query(query: str) -> dict[str, list[str]]:
    """``"a=1&b=x+y&a=2"`` -> ``{"a": ["1", "2"], "b": ["x y"]}``; a leading ``?`` is allowed."""
    result: dict[str, list[str]] = {}
    for pair in query.removeprefix("?").split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        result.setdefault(_decode(key), []).append(_decode(value))
    return result


def build_query(params: dict[str, list[str]]) -> str:
    """The inverse of ``parse_query``."""
    return "&".join(
        f"{_encode(key)}={_encode(value)}" for key, values in params.items() for value in values
    )


def _encode(part: str) -> str:
    return quote(part, safe="").replace("%20", "+")

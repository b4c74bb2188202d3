class ParseError(ValueError):
    """A line that is neither a section, a pair, a comment nor blank."""

    def __init__(self, lineno: int, line: str) -> None:
        super().__init__(f"line {lineno}: cannot parse {line!r}")
        self.lineno = lineno


def parse(text: str) -> dict[str, dict[str, str]]:
    """Sections of ``key = value`` pairs; keys before any section go to ``""``."""
    sections: dict[str, dict[str, str]] = {"": {}}
    current = sections[""]
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            name = line[1:-1].strip()
            current = sections.setdefault(name, {})
            continue
        if "=" not in line:
            raise ParseError(lineno, raw)
        key, _, value = line.partition("=")
        current[key.strip().lower()] = _unquote(value.strip())
    if not sections[""]:
        del sections[""]
    return sections


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value

def wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` characters; a longer word gets a line of its own."""
    if width < 1:
        raise ValueError(f"width must be at least 1, got {width}")
    lines: list[str] = []
    current = ""
    for word in text.split():
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def fill(text: str, width: int, indent: str = "") -> str:
    """``wrap`` joined by newlines, each line prefixed with ``indent``."""
    return "\n".join(indent + line for line in wrap(text, width - len(indent)))

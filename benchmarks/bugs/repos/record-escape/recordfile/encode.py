SEP = "|"
ESCAPES = {"\\": "\\\\", SEP: "\\" + SEP, "\n": "\\n"}


def encode_field(field: str) -> str:
    return "".join(ESCAPES.get(ch, ch) for ch in field)


def encode_record(fields: list[str]) -> str:
    """One line holding ``fields``; ``decode_record`` gives them back."""
    return SEP.join(encode_field(f) for f in fields)

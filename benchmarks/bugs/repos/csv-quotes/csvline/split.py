class CsvError(ValueError):
    """A quoted field that is never closed."""


def split_line(line: str, sep: str = ",") -> list[str]:
    """The fields of one line; ``"..."`` quotes a field and ``""`` inside it is a quote."""
    fields: list[str] = []
    field: list[str] = []
    in_quotes = False
    i = 0
    while i < len(line):
        ch = line[i]
        if in_quotes:
            if ch == '"':
                if i + 1 < len(line) and line[i + 1] == '"':
                    field.append('"')
                    i += 1
                else:
                    in_quotes = False
            else:
                field.append(ch)
        elif ch == '"':
            in_quotes = True
        elif ch == sep:
            fields.append("".join(field))
            field = []
        else:
            field.append(ch)
        i += 1
    if in_quotes:
        raise CsvError(f"unterminated quoted field in {line!r}")
    fields.append("".join(field))
    return fields


def join_line(fields: list[str], sep: str = ",") -> str:
    """The inverse of ``split_line``: quote fields that need it."""
    out = []
    for field in fields:
        if any(c in field for c in (sep, '"', "\n")):
            field = '"' + field.replace('"', '""') + '"'
        out.append(field)
    return sep.join(out)

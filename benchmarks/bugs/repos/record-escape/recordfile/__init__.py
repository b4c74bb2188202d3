"""A line format for records: fields joined by ``|``, with backslash escapes.

``\\|`` is a literal bar inside a field, ``\\\\`` a literal backslash and ``\\n`` a newline.
"""

from recordfile.decode import decode_record
from recordfile.encode import encode_record

__all__ = ["decode_record", "encode_record"]

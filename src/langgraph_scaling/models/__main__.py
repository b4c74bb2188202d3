"""``python -m langgraph_scaling.models``: prepare the embedded default model or print its path.

Example:
    $ python -m langgraph_scaling.models prepare
    $ python -m langgraph_scaling.models path
"""

from __future__ import annotations

from langgraph_scaling.models.embedded import main

if __name__ == "__main__":
    raise SystemExit(main())

"""Parse and compare semantic versions like ``1.10.0`` and ``2.0.0-rc.1``."""

from versions.semver import Version, latest, parse

__all__ = ["Version", "latest", "parse"]

"""The one progress-callback type of every transfer."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int], None]
"""Called with the number of bytes just transferred (or found already held)."""

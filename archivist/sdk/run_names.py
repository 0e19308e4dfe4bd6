"""Readable default run names, like W&B's ``adjective-noun-N``."""

from __future__ import annotations

import secrets

# fmt: off
_ADJECTIVES = (
    "amber", "ancient", "autumn", "bold", "brisk", "calm", "cosmic", "crimson", "curious", "dainty",
    "dashing", "deep", "dry", "eager", "electric", "fancy", "fresh", "gentle", "glad", "golden",
    "hardy", "helpful", "icy", "jolly", "kind", "lively", "lucky", "misty", "noble", "olive",
    "polished", "proud", "quiet", "rare", "rosy", "serene", "silver", "smooth", "solar", "spring",
    "still", "sunny", "swift", "tidy", "twilight", "vivid", "warm", "wild", "wise", "young",
)
_NOUNS = (
    "bird", "breeze", "brook", "butterfly", "cloud", "comet", "dawn", "dew", "dream", "dust", "field",
    "fire", "firefly", "flower", "fog", "forest", "frost", "galaxy", "glade", "grass", "harbor", "haze",
    "hill", "lake", "leaf", "meadow", "moon", "morning", "mountain", "night", "ocean", "paper", "pine",
    "planet", "pond", "rain", "resonance", "river", "sea", "shadow", "sky", "snow", "sound", "star",
    "sun", "surf", "thunder", "tree", "violet", "wave",
)
# fmt: on


def generate_run_name() -> str:
    """``<adjective>-<noun>-<number>``, e.g. ``brisk-river-42``."""
    return f"{secrets.choice(_ADJECTIVES)}-{secrets.choice(_NOUNS)}-{secrets.randbelow(999) + 1}"

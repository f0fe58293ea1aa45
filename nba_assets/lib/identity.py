"""Player identity: the `player_lookup` key used everywhere (box scores, lines, features, predictions).

The seed system keyed players by a normalized name: accents stripped, lower case, letters and digits
only ("Nikola Jokić" -> "nikolajokic", "Gary Trent Jr." -> "garytrentjr"). Sportsbook spellings that
still differ after normalization are mapped by the `player_aliases` dbt seed.
"""

import re
import unicodedata

_NOT_ALNUM = re.compile(r"[^a-z0-9]")


def player_lookup(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    without_accents = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_ALNUM.sub("", without_accents.lower())

"""The first version of each consent document, in English and French (texts/*.txt:
the first line is the title, the rest the text).

Risks are those named in the clinical reference (SkinPen labelling, Dermapen 4 and
Amiea manuals, EMLA prescribing information, FDA 2007 advisory). A clinic publishes its
own wording as a new version.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

TEXTS = Path(__file__).resolve().parent / "texts"


@cache
def defaults() -> dict[tuple[str, str], tuple[str, str]]:
    out = {}
    for path in sorted(TEXTS.glob("*.txt")):
        procedure, language = path.stem.split(".")
        title, _, body = path.read_text(encoding="utf-8").partition("\n")
        out[(procedure, language)] = (title.strip(), body.strip())
    return out

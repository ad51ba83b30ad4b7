"""The aftercare sheet as a PDF (ReportLab, the consent PDF's pattern), in the language
the sheet is rendered in (the patient's, by default)."""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from puncta.consent.pdf import _wrap

MARGIN = 20 * mm
LINE = 5.5 * mm


class TextPage:
    """Lines of wrapped text down a Letter page, breaking to a new page when full: the
    layout the aftercare sheet and the outcomes summary share."""

    def __init__(self, pdf: Canvas) -> None:
        self.pdf = pdf
        self.page_h = LETTER[1]
        self.y = self.page_h - MARGIN

    def line(self, text: str, size: int = 10, font: str = "Helvetica") -> None:
        for part in _wrap(text, 90 if size <= 10 else 70) or [""]:
            self.room(LINE)
            self.pdf.setFont(font, size)
            self.pdf.drawString(MARGIN, self.y, part)
            self.y -= LINE

    def room(self, height: float) -> None:
        """Start a new page unless ``height`` fits above the bottom margin."""
        if self.y - height < MARGIN:
            self.pdf.showPage()
            self.y = self.page_h - MARGIN

    def gap(self, height: float = LINE / 2) -> None:
        self.y -= height


def aftercare_pdf(sheet: dict[str, Any]) -> bytes:
    """``sheet``: the context of the aftercare page (title, lines already translated)."""
    buf = io.BytesIO()
    pdf = Canvas(buf, pagesize=LETTER, invariant=1)
    pdf.setTitle(sheet["title"])
    page = TextPage(pdf)
    line = page.line
    line(sheet["title"], 14, "Helvetica-Bold")
    line(sheet["subtitle"])
    page.gap()
    line(sheet["downtime_heading"], 12, "Helvetica-Bold")
    line(sheet["downtime"])
    page.gap()
    line(sheet["items_heading"], 12, "Helvetica-Bold")
    for item in sheet["items"]:
        line(f"• {item['text']}" + (f" ({item['when']})" if item["when"] else ""))
    page.gap()
    line(sheet["call_heading"], 12, "Helvetica-Bold")
    line(sheet["call"])
    page.gap()
    for key in ("emergency", "contact"):
        if sheet.get(key):
            line(sheet[f"{key}_heading"], 12, "Helvetica-Bold")
            line(sheet[key])
            page.gap()
    page.gap()
    line(sheet["footer"], 8)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()

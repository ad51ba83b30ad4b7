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


def aftercare_pdf(sheet: dict[str, Any]) -> bytes:
    """``sheet``: the context of the aftercare page (title, lines already translated)."""
    buf = io.BytesIO()
    pdf = Canvas(buf, pagesize=LETTER, invariant=1)
    pdf.setTitle(sheet["title"])
    page_h = LETTER[1]
    y = page_h - MARGIN

    def line(text: str, size: int = 10, font: str = "Helvetica") -> None:
        nonlocal y
        for part in _wrap(text, 90 if size <= 10 else 70) or [""]:
            if y < MARGIN + LINE:
                pdf.showPage()
                y = page_h - MARGIN
            pdf.setFont(font, size)
            pdf.drawString(MARGIN, y, part)
            y -= LINE

    line(sheet["title"], 14, "Helvetica-Bold")
    line(sheet["subtitle"])
    y -= LINE / 2
    line(sheet["downtime_heading"], 12, "Helvetica-Bold")
    line(sheet["downtime"])
    y -= LINE / 2
    line(sheet["items_heading"], 12, "Helvetica-Bold")
    for item in sheet["items"]:
        line(f"• {item['text']}" + (f" ({item['when']})" if item["when"] else ""))
    y -= LINE / 2
    line(sheet["call_heading"], 12, "Helvetica-Bold")
    line(sheet["call"])
    y -= LINE / 2
    for key in ("emergency", "contact"):
        if sheet.get(key):
            line(sheet[f"{key}_heading"], 12, "Helvetica-Bold")
            line(sheet[key])
            y -= LINE / 2
    y -= LINE / 2
    line(sheet["footer"], 8)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()

"""The patient's printable summary of a course (ReportLab, like the aftercare sheet): the
sessions, each scale's first and latest result, and the first and latest photograph of one
view side by side. Text comes in already translated (the patient's language)."""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from puncta.consent.pdf import _wrap

MARGIN = 20 * mm
LINE = 5.5 * mm


def summary_pdf(doc: dict[str, Any]) -> bytes:
    """``doc``: title, subtitle, headings, ``sessions`` and ``results`` (lines of text),
    ``photos`` (up to two (caption, JPEG bytes)), footer."""
    buf = io.BytesIO()
    pdf = Canvas(buf, pagesize=LETTER, invariant=1, pageCompression=0)
    pdf.setTitle(doc["title"])
    page_w, page_h = LETTER
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

    line(doc["title"], 14, "Helvetica-Bold")
    line(doc["subtitle"])
    y -= LINE / 2
    line(doc["sessions_heading"], 12, "Helvetica-Bold")
    for text in doc["sessions"] or [doc["none"]]:
        line(f"• {text}")
    y -= LINE / 2
    line(doc["results_heading"], 12, "Helvetica-Bold")
    for text in doc["results"] or [doc["none"]]:
        line(f"• {text}")
    if doc["photos"]:
        y -= LINE / 2
        line(doc["photos_heading"], 12, "Helvetica-Bold")
        box_w = (page_w - 2 * MARGIN - 6 * mm) / 2
        box_h = 80 * mm
        if y - box_h - LINE < MARGIN:
            pdf.showPage()
            y = page_h - MARGIN
        for i, (caption, data) in enumerate(doc["photos"][:2]):
            img = ImageReader(io.BytesIO(data))
            iw, ih = img.getSize()
            scale = min(box_w / iw, box_h / ih)
            x = MARGIN + i * (box_w + 6 * mm)
            pdf.drawImage(img, x, y - ih * scale, iw * scale, ih * scale)
            pdf.setFont("Helvetica", 9)
            pdf.drawString(x, y - ih * scale - 4 * mm, caption)
        y -= box_h + LINE * 2
    y -= LINE
    line(doc["footer"], 8)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()

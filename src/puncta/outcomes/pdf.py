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

from puncta.charting.pdf import LINE, MARGIN, TextPage


def summary_pdf(doc: dict[str, Any]) -> bytes:
    """``doc``: title, subtitle, headings, ``sessions`` and ``results`` (lines of text),
    ``photos`` (up to two (caption, JPEG bytes)), footer."""
    buf = io.BytesIO()
    pdf = Canvas(buf, pagesize=LETTER, invariant=1, pageCompression=0)
    pdf.setTitle(doc["title"])
    page = TextPage(pdf)
    line = page.line
    line(doc["title"], 14, "Helvetica-Bold")
    line(doc["subtitle"])
    page.gap()
    line(doc["sessions_heading"], 12, "Helvetica-Bold")
    for text in doc["sessions"] or [doc["none"]]:
        line(f"• {text}")
    page.gap()
    line(doc["results_heading"], 12, "Helvetica-Bold")
    for text in doc["results"] or [doc["none"]]:
        line(f"• {text}")
    if doc["photos"]:
        page.gap()
        line(doc["photos_heading"], 12, "Helvetica-Bold")
        box_w = (LETTER[0] - 2 * MARGIN - 6 * mm) / 2
        box_h = 80 * mm
        page.room(box_h + LINE)
        for i, (caption, data) in enumerate(doc["photos"][:2]):
            img = ImageReader(io.BytesIO(data))
            iw, ih = img.getSize()
            scale = min(box_w / iw, box_h / ih)
            x = MARGIN + i * (box_w + 6 * mm)
            pdf.drawImage(img, x, page.y - ih * scale, iw * scale, ih * scale)
            pdf.setFont("Helvetica", 9)
            pdf.drawString(x, page.y - ih * scale - 4 * mm, caption)
        page.gap(box_h + LINE * 2)
    page.gap(LINE)
    line(doc["footer"], 8)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()

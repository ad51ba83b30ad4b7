"""The signed consent as a PDF (ReportLab): the exact text, the signature, the hash."""

from __future__ import annotations

import io
from itertools import pairwise

from django.utils import timezone
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from .models import Consent
from .signature import HEIGHT, WIDTH

MARGIN = 20 * mm
LINE = 5 * mm


def _wrap(text: str, width: int = 95) -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines():
        words, current = paragraph.split(), ""
        if not words:
            lines.append("")
            continue
        for w in words:
            if len(current) + len(w) + 1 > width:
                lines.append(current)
                current = w
            else:
                current = f"{current} {w}".strip()
        lines.append(current)
    return lines


def consent_pdf(consent: Consent) -> bytes:
    buf = io.BytesIO()
    pdf = Canvas(buf, pagesize=LETTER, invariant=1)
    pdf.setTitle(consent.template.title)
    page_h = LETTER[1]
    y = page_h - MARGIN

    def line(text: str, size: int = 10, font: str = "Helvetica") -> None:
        nonlocal y
        if y < MARGIN + LINE:
            pdf.showPage()
            y = page_h - MARGIN
        pdf.setFont(font, size)
        pdf.drawString(MARGIN, y, text)
        y -= LINE

    for i, text in enumerate(_wrap(consent.rendered_text)):
        line(text, 12 if i == 0 else 10, "Helvetica-Bold" if i == 0 else "Helvetica")
    y -= LINE
    local = timezone.localtime(consent.signed_at)
    line(f"Signed by / Signé par : {consent.signer_name}"
         + (f" ({consent.signer_relationship})" if consent.signer_relationship else ""))
    line(f"Date : {local:%Y-%m-%d %H:%M %Z}")
    line(f"Witness / Témoin : {consent.witness.get_full_name() or consent.witness}")
    line(f"Method / Méthode : {consent.get_method_display()}")
    if consent.signature_strokes:
        box_w, box_h = 90 * mm, 30 * mm
        if y - box_h < MARGIN:
            pdf.showPage()
            y = page_h - MARGIN
        pdf.setLineWidth(1.2)
        for stroke in consent.signature_strokes:
            pts = [(MARGIN + x / WIDTH * box_w, y - box_h + (HEIGHT - yy) / HEIGHT * box_h)
                   for x, yy in stroke]
            for (x1, y1), (x2, y2) in pairwise(pts):
                pdf.line(x1, y1, x2, y2)
        y -= box_h + LINE
    line(f"SHA-256 of the document text: {consent.document_sha256}", 8)
    if consent.withdrawn_at:
        line(f"WITHDRAWN / RETIRÉ {consent.withdrawn_at:%Y-%m-%d}: {consent.withdrawn_reason}",
             10, "Helvetica-Bold")
    pdf.showPage()
    pdf.save()
    return buf.getvalue()

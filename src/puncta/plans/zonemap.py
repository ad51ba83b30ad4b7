"""The face and body zone map: an SVG where each zone links to its row in the form and
is coloured by what the rules said about it (none / ok / review / refuse)."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

# Shapes in a 300 x 460 box: a front view of the face and neck, then body zones as tiles.
SHAPES: dict[str, list[str]] = {
    "forehead": ['<path d="M95 70 Q150 25 205 70 L205 100 L95 100 Z"/>'],
    "glabella": ['<ellipse cx="150" cy="112" rx="12" ry="9"/>'],
    "temple": ['<ellipse cx="82" cy="122" rx="11" ry="20"/>',
               '<ellipse cx="218" cy="122" rx="11" ry="20"/>'],
    "periorbital": ['<path d="M98 130 a24 16 0 1 0 48 0 a24 16 0 1 0 -48 0 Z M108 130 a14 8 0 1 1 28 0 a14 8 0 1 1 -28 0 Z" fill-rule="evenodd"/>',  # noqa: E501
                    '<path d="M154 130 a24 16 0 1 0 48 0 a24 16 0 1 0 -48 0 Z M164 130 a14 8 0 1 1 28 0 a14 8 0 1 1 -28 0 Z" fill-rule="evenodd"/>'],  # noqa: E501
    "eyelid": ['<ellipse cx="122" cy="130" rx="13" ry="7"/>',
               '<ellipse cx="178" cy="130" rx="13" ry="7"/>'],
    "nose": ['<path d="M142 140 L158 140 L166 190 L134 190 Z"/>'],
    "cheek": ['<ellipse cx="104" cy="182" rx="26" ry="30"/>',
              '<ellipse cx="196" cy="182" rx="26" ry="30"/>'],
    "upper_lip": ['<rect x="130" y="196" width="40" height="12" rx="4"/>'],
    "perioral": ['<path d="M120 214 Q150 240 180 214 L184 226 Q150 252 116 226 Z"/>'],
    "chin": ['<ellipse cx="150" cy="262" rx="24" ry="13"/>'],
    "jawline": ['<path d="M84 214 Q96 258 124 272 L118 280 Q88 264 76 218 Z"/>',
                '<path d="M216 214 Q204 258 176 272 L182 280 Q212 264 224 218 Z"/>'],
    "neck": ['<rect x="115" y="288" width="70" height="40" rx="6"/>'],
    "decolletage": ['<path d="M90 334 L210 334 L232 372 L68 372 Z"/>'],
    "abdomen": ['<rect x="8" y="392" width="52" height="30" rx="5"/>'],
    "back": ['<rect x="66" y="392" width="52" height="30" rx="5"/>'],
    "arm": ['<rect x="124" y="392" width="52" height="30" rx="5"/>'],
    "thigh": ['<rect x="182" y="392" width="52" height="30" rx="5"/>'],
    "buttock": ['<rect x="240" y="392" width="52" height="30" rx="5"/>'],
}
TILE_LABELS = {"abdomen": (34, 438), "back": (92, 438), "arm": (150, 438),
               "thigh": (208, 438), "buttock": (266, 438)}


def render(rows: list[dict[str, object]]) -> SafeString:
    # A group of links, not an image: each zone is a link to its row (axe: an img role
    # must not hold interactive content).
    name = escape(_("Zone map"))
    parts = [f'<svg class="zonemap" viewBox="0 0 300 450" role="group" aria-label="{name}" '
             'xmlns="http://www.w3.org/2000/svg">',
             '<path class="outline" d="M150 40 C80 40 70 120 76 190 C82 250 120 284 150 284 '
             'C180 284 218 250 224 190 C230 120 220 40 150 40 Z"/>']
    for row in rows:
        code = str(row["code"])
        label = escape(str(row["label"]))
        state = escape(str(row["state"]))
        depth = escape(str(row.get("depth") or ""))
        title = f"{label}{' — ' + depth + ' mm' if depth else ''}"
        shapes = "".join(SHAPES.get(code, []))
        if not shapes:
            continue
        parts.append(f'<a href="#zone-{code}" class="zone z-{state}" data-zone="{code}" '
                     f'aria-label="{title}"><title>{title}</title>{shapes}</a>')
        if code in TILE_LABELS:
            x, y = TILE_LABELS[code]
            parts.append(f'<text x="{x}" y="{y}" text-anchor="middle">{label}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - built from escaped labels and constants

"""Jurisdictions a clinic can be registered in.

The regulatory consequences (authority, device class) live in ``puncta.rules``; this
list only names the codes the application offers.
"""

from django.utils.translation import gettext_lazy as _

JURISDICTIONS = [
    ("CA-AB", _("Canada — Alberta")),
    ("CA-BC", _("Canada — British Columbia")),
    ("CA-MB", _("Canada — Manitoba")),
    ("CA-NB", _("Canada — New Brunswick")),
    ("CA-NL", _("Canada — Newfoundland and Labrador")),
    ("CA-NS", _("Canada — Nova Scotia")),
    ("CA-ON", _("Canada — Ontario")),
    ("CA-PE", _("Canada — Prince Edward Island")),
    ("CA-QC", _("Canada — Quebec")),
    ("CA-SK", _("Canada — Saskatchewan")),
    ("US-CA", _("United States — California")),
    ("US-FL", _("United States — Florida")),
    ("US-NY", _("United States — New York")),
    ("US-TX", _("United States — Texas")),
]

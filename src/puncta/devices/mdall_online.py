"""Fetching licences from the MDALL API over HTTPS (``import-mdall --online``).

The API answers an unknown filter with the *whole table* and HTTP 200, so every query is
built from a fixed list of endpoints and parameters, and every answer is checked to hold
only the records asked for. Never used by the tests: they parse fixture files instead.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any

from .mdall import MdallFormatError, ParsedFile, parse

BASE_URL = "https://health-products.canada.ca/api/medical-devices/"
ENDPOINTS = ("licence", "device", "company")
PARAMETERS = {"id", "state", "lang", "type"}
TIMEOUT_SECONDS = 30


def build_url(endpoint: str, **params: str) -> str:
    if endpoint not in ENDPOINTS:
        raise ValueError(f"unknown MDALL endpoint {endpoint!r}")
    unknown = set(params) - PARAMETERS
    if unknown:
        raise ValueError(f"unknown MDALL filter(s) {sorted(unknown)}: the API would return "
                         "the whole table")
    if "id" in params and not str(params["id"]).isdigit():
        raise ValueError(f"MDALL id must be digits, not {params['id']!r}")
    if params.get("state", "active") not in {"active", "archived"}:
        raise ValueError("MDALL state must be 'active' or 'archived'")
    if params.get("lang", "en") not in {"en", "fr"}:
        raise ValueError("MDALL lang must be 'en' or 'fr'")
    params["type"] = "json"
    return f"{BASE_URL}{endpoint}/?{urllib.parse.urlencode(params)}"


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - https, built above
        return json.load(response)


def _only(data: Any, field: str, wanted: int, url: str) -> list[dict[str, Any]]:
    records = [data] if isinstance(data, dict) else data
    if not isinstance(records, list):
        raise MdallFormatError(f"{url}: unexpected answer")
    # Defence against the whole-table answer: keep only the records asked for.
    return [r for r in records if isinstance(r, dict) and str(r.get(field)) == str(wanted)]


def fetch_licence(number: int) -> list[ParsedFile]:
    """The licence, its devices and its company, parsed like files of the same endpoints."""
    files = []
    url = build_url("licence", id=str(number))
    licences = _only(_get(url), "original_licence_no", number, url)
    files.append(parse(json.dumps(licences), name=url, kind="licence"))
    # The device endpoint is asked by licence number and filtered again on our side.
    url = build_url("device", id=str(number))
    devices = _only(_get(url), "original_licence_no", number, url)
    files.append(parse(json.dumps(devices), name=url, kind="device"))
    for company_id in {r["company_id"] for r in files[0].rows if r["company_id"]}:
        url = build_url("company", id=str(company_id))
        companies = _only(_get(url), "company_id", company_id, url)
        files.append(parse(json.dumps(companies), name=url, kind="company"))
    return files

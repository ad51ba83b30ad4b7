"""Devices over the JSON API (filled by the devices issue)."""

from ninja import Router

router = Router(tags=["devices"])

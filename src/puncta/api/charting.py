"""Charts over the JSON API (filled by the charting issue)."""

from ninja import Router

router = Router(tags=["charting"])

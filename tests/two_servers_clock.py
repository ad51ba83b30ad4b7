"""A gunicorn configuration file for tests/test_two_servers.py (given through
GUNICORN_CMD_ARGS to a real ``puncta serve``): sets the server's clock to the test's fixed
instant (ticking from there), so no test depends on the wall clock.

gunicorn runs this in its master process before it forks the workers, which inherit the
travelled clock. It sets no gunicorn setting.
"""

import datetime as dt
import os

import time_machine

_at = os.environ.get("PUNCTA_TEST_CLOCK")
if _at:
    time_machine.travel(dt.datetime.fromisoformat(_at), tick=True).start()

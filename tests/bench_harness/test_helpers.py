"""Percentiles, /proc parsing, CPU deltas, the wrk Lua script and its log (no server)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from cpu import db_delta, parse_stat, pg_backend_database, ticks_to_ms
from spread import round_robin, split
from summary import Record, figures, pct
from wrk_mix import Clinic, Conn, draft_prefix, lua, lua_str, parse_log, script

STAT = ("4242 (gunicorn: worker [puncta.wsgi:application]) S 4200 4200 4200 0 -1 4194560 "
        "5000 0 0 0 150 25 7 3 20 0 1 0 99 1000000 5000 18446744073709551615")


def test_percentiles_interpolate_between_ranks():
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert pct(values, 50) == pytest.approx(50.5)
    assert pct(values, 95) == pytest.approx(95.05)
    assert pct(values, 100) == 100.0
    assert pct([], 99) == 0.0
    assert pct([3.0], 99) == 3.0


def test_proc_stat_with_spaces_and_parentheses_in_the_name():
    s = parse_stat(STAT)
    assert (s.pid, s.ppid, s.utime, s.stime, s.cutime, s.cstime) == (4242, 4200, 150, 25, 7, 3)
    assert s.own == 175 and s.with_children == 185
    odd = parse_stat(STAT.replace("(gunicorn: worker [puncta.wsgi:application])", "(a) b)"))
    assert odd.utime == 150


def test_postgres_backend_title_names_its_database():
    title = b"postgres: 15/main: postgres puncta_bench_h 127.0.0.1(51130) idle\0\0"
    assert pg_backend_database(title) == "puncta_bench_h"
    assert pg_backend_database(b"postgres: postgres puncta 127.0.0.1(5) SELECT") == "puncta"
    assert pg_backend_database(b"postgres: 15/main: background writer   ") is None
    assert pg_backend_database(b"/usr/lib/postgresql/15/bin/postgres\0-D\0/x") is None


def test_database_cpu_counts_backends_gone_and_born_during_the_phase():
    base = {1: 100, 2: 50}  # 2 will end during the phase, 3 is born in it
    last = {1: 130, 2: 60, 3: 5}
    t = db_delta(base, last, app_ticks=40)
    assert t.db_ticks == 30 + 10 + 5
    assert t.db_backends == 3
    assert t.app_ms == ticks_to_ms(40)


def test_figures_count_errors_refusals_and_header_cpu():
    rs = [Record("booking", 201, 0.010, 20, 3000), Record("booking", 422, 0.020, 18, 2000,
                                                          "refused"),
          Record("booking", 302, 0.030, None, None, "err")]
    f = figures(rs, elapsed=2.0)
    assert (f["requests"], f["errors"], f["refused"]) == (3, 1, 1)
    assert f["rps"] == 1.5
    assert (f["queries_min"], f["queries_max"]) == (18, 20)
    assert f["app_cpu_ms_header"] == pytest.approx(2.5)
    assert f["p50_ms"] == pytest.approx(20.0)


def test_lua_literals_escape_quotes_and_non_ascii():
    assert lua_str('a"b\\c') == '"a\\"b\\\\c"'
    assert lua_str("é") == '"\\195\\169"'
    assert lua({"k": [1, "x", True]}) == '{["k"]={1,"x",true}}'


def test_draft_body_leaves_version_and_notes_to_the_script():
    prefix = draft_prefix({"notes": "old", "version": 3, "cleansing": "chg"})
    assert prefix == '{"cleansing": "chg"'


def conns() -> tuple[list[Conn], dict[int, Clinic]]:
    c = [Conn(cookie="sessionid=s1; csrftoken=t1", token="tok1", clinic=7, plans=[11, 12],
              drafts=[{"id": 5, "version": 2, "body": {"notes": "", "topicals": ""}}])]
    return c, {7: Clinic(ids=[101, 102], names=["Sm%C3%A9"], weeks=["2026-11-23"])}


def test_script_embeds_each_connection_and_the_weighted_mix():
    c, clinics = conns()
    text = script(c, clinics, [("patient_page", 3), ("api_read", 1)], "/tmp/x.log", False)
    assert '"sessionid=s1; csrftoken=t1"' in text and '"tok1"' in text
    assert '{{"patient_page",3},{"api_read",4}}' in text
    assert "local TOTAL = 4" in text and "local BOOK = false" in text
    with pytest.raises(ValueError, match="cannot make"):
        script(c, clinics, [("login", 1)], "/tmp/x.log", False)


@pytest.mark.skipif(shutil.which("luajit") is None, reason="no luajit to parse the script")
def test_script_is_valid_lua(tmp_path):
    c, clinics = conns()
    path = tmp_path / "s.lua"
    path.write_text(script(c, clinics, [("series_proposal", 1)], "/tmp/x.log", True))
    subprocess.run(["luajit", "-bl", str(path)], check=True, capture_output=True)


def test_log_lines_become_records_and_counts():
    text = ("#errors\tconnect=0\tread=2\twrite=0\ttimeout=1\tstatus=3\n"
            "#run\trequests=3\tduration_us=2000000\n"
            "patient_page\t200\t12500\t9\t4100\tok\n"
            "booking\t422\t30000\t18\t\trefused\n"
            "dashboard\t302\t800\t\t\terr\n")
    records, meta = parse_log(text)
    assert meta == {"connect": 0, "read": 2, "write": 0, "timeout": 1, "status": 3,
                    "requests": 3, "duration_us": 2000000}
    assert records[0] == Record("patient_page", 200, 0.0125, 9, 4100, "ok")
    assert records[1].cpu_us is None and records[1].outcome == "refused"
    assert records[2].queries is None and records[2].outcome == "err"


def test_bench_middleware_sends_queries_and_app_cpu():
    from django.http import HttpResponse
    from django.test import RequestFactory

    from puncta.web.middleware import QueryCountHeaderMiddleware

    def view(request):
        sum(range(20000))  # some CPU
        return HttpResponse("ok")

    response = QueryCountHeaderMiddleware(view)(RequestFactory().get("/"))
    assert response.headers["X-Puncta-Queries"] == "0"
    assert response.headers["X-Puncta-CPU-us"].isdigit()



def test_users_alternate_clinics_and_shares_are_disjoint():
    users = [("b.1", 2), ("a.1", 1), ("a.2", 1), ("a.3", 1), ("b.2", 2)]
    assert round_robin(users) == [("a.1", 1), ("b.1", 2), ("a.2", 1), ("b.2", 2),
                                  ("a.3", 1)]
    items = list(range(10))
    shares = [split(items, k, 3) for k in range(3)]
    assert sorted(x for s in shares for x in s) == items
    assert shares[0] == [0, 3, 6, 9]

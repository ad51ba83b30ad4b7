"""The light load generator: wrk (C, one event loop per thread) driven by a Lua script the
bench writes for each phase.

One wrk thread per connection (``-t N -c N``): wrk's Lua hooks run per thread and know no
connection, so one connection per thread is what lets each connection be one user (its
own session cookie, its own API token, its own draft charts and plans) and lets
``request()`` and ``response()`` alternate strictly, so the script can time each request
with a monotonic clock and name its operation.

Each thread keeps one line per request (operation, status, microseconds, the
X-Puncta-Queries and X-Puncta-CPU-us headers, ok/err/refused); ``done()`` collects them
from every thread and writes one file, with wrk's own socket-error counts.

Writes that need a value wrk cannot know in advance:

- chart autosave (``PATCH /api/v1/charts/{id}``) sends the version last seen: the script
  reads ``"version"`` from the previous answer for that chart (each connection has its
  own drafts, so a 409 is a real error). The bench reads the drafts' versions from the
  database before each phase.
- booking (``POST /api/v1/plans/{id}/appointments``) needs a free slot: as the Python
  client does, the connection first asks the plan's proposal
  (``GET /api/v1/plans/{id}/proposal``, measured as ``series_proposal``), decodes it (a
  small JSON decoder in the script) and books the first session with a slot. A 422 (the
  slot taken by another connection in between) is ``refused``, not an error; a plan
  with nothing left to book is dropped from the connection's list.
- create (``POST /api/v1/patients``) sends a name unique per connection and request.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from summary import Record

# Operations the script can build (the same names as the Python client's).
WEB_OPS = {"dashboard", "patient_search", "patient_list", "patient_page", "screening_page",
           "consent_page", "calendar_week"}
API_OPS = {"api_list", "api_read", "api_readiness", "series_proposal", "chart_draft_save",
           "create"}
FOLLOW_UPS = {"booking"}  # never drawn: made from a series_proposal's answer


@dataclass
class Conn:
    """One connection = one wrk thread = one signed-in user."""

    cookie: str  # "sessionid=...; csrftoken=..."
    token: str  # an API token of a nurse of the same clinic
    clinic: int
    plans: list[int] = field(default_factory=list)
    drafts: list[dict[str, Any]] = field(default_factory=list)  # {id, version, body}


@dataclass
class Clinic:
    ids: list[int]
    names: list[str]  # already URL-quoted name fragments
    weeks: list[str]


def lua_str(s: str) -> str:
    """A Lua 5.1 string literal (no \\u escapes in 5.1: bytes as \\ddd)."""
    out = []
    for b in s.encode():
        c = chr(b)
        if c in '"\\':
            out.append("\\" + c)
        elif 32 <= b < 127:
            out.append(c)
        else:
            out.append(f"\\{b:03d}")
    return '"' + "".join(out) + '"'


def lua(value: Any) -> str:
    """Python data as a Lua constructor (dicts with str keys, lists, str, int, bool)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return lua_str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"[{lua_str(str(k))}]={lua(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "{" + ",".join(lua(v) for v in value) + "}"
    raise TypeError(f"no Lua form for {type(value).__name__}")


def draft_prefix(body: dict[str, Any]) -> str:
    """A draft's JSON body without its closing brace, version and notes: the script adds
    the version last seen and a new note to each save."""
    rest = {k: v for k, v in body.items() if k not in ("version", "notes")}
    return json.dumps(rest)[:-1]


def script(conns: list[Conn], clinics: dict[int, Clinic], mix: list[tuple[str, int]],
           out: str, book: bool) -> str:
    ops = [(op, w) for op, w in mix if w > 0]
    unknown = {op for op, _ in ops} - WEB_OPS - API_OPS
    if unknown:
        raise ValueError(f"operations wrk cannot make: {sorted(unknown)}")
    cum, acc = [], 0
    for op, w in ops:
        acc += w
        cum.append([op, acc])
    data = {
        "conns": [{"cookie": c.cookie, "token": c.token, "clinic": c.clinic,
                   "plans": c.plans, "drafts": [{"id": d["id"], "version": d["version"],
                                                 "body": draft_prefix(d["body"])}
                                                for d in c.drafts]} for c in conns],
        "clinics": {str(k): {"ids": v.ids, "names": v.names, "weeks": v.weeks}
                    for k, v in clinics.items()},
    }
    return (LUA.replace("@CONNS@", lua(data["conns"]))
            .replace("@CLINICS@", lua(data["clinics"]))
            .replace("@MIX@", lua(cum)).replace("@TOTAL@", str(acc))
            .replace("@OUT@", lua_str(out)).replace("@BOOK@", lua(book)))


def parse_log(text: str) -> tuple[list[Record], dict[str, int]]:
    """The file ``done()`` writes: ``#errors`` and ``#run`` lines, then one line per
    request (op, status, latency µs, queries, cpu µs, outcome)."""
    records, meta = [], {}
    for line in text.splitlines():
        if not line:
            continue
        parts = line.split("\t")
        if parts[0].startswith("#"):
            meta.update({k: int(v) for k, v in (p.split("=") for p in parts[1:])})
            continue
        op, status, lat, q, cpu, outcome = parts
        records.append(Record(op=op, status=int(status), seconds=int(lat) / 1e6,
                              queries=int(q) if q.isdigit() else None,
                              cpu_us=int(cpu) if cpu.isdigit() else None, outcome=outcome))
    return records, meta


def run(conns: list[Conn], clinics: dict[int, Clinic], mix: list[tuple[str, int]],
        port: int, seconds: float, workdir: Path, name: str, book: bool = False,
        wrk: str = "wrk") -> tuple[list[Record], dict[str, int], str]:
    """One phase: wrk with one thread per connection for ``seconds``. Returns the
    records, wrk's counts (socket errors, requests, duration µs) and wrk's output."""
    out = workdir / f"wrk-{name}.log"
    out.unlink(missing_ok=True)
    lua_file = workdir / f"wrk-{name}.lua"
    lua_file.write_text(script(conns, clinics, mix, str(out), book))
    n = len(conns)
    proc = subprocess.run(
        [wrk, f"-t{n}", f"-c{n}", f"-d{max(1, round(seconds))}s", "--timeout", "30s",
         "-s", str(lua_file), f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr or proc.stdout}")
    records, meta = parse_log(out.read_text())
    return records, meta, proc.stdout


LUA = r"""
-- Written by bench/wrk_mix.py: one thread = one connection = one user.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } puncta_ts;
int clock_gettime(int clk, puncta_ts *ts);
]]
local ts = ffi.new("puncta_ts")
local function now_us()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local CONNS = @CONNS@
local CLINICS = @CLINICS@
local MIX = @MIX@
local TOTAL = @TOTAL@
local OUT = @OUT@
local BOOK = @BOOK@
local NULL = {}

-- setup() runs in the main state, once per thread, before that thread's init().
local threads, counter = {}, 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  threads[#threads + 1] = thread
end

local me, cl, op, t0, n, pending, draft, BOOKING
function init(args)
  me = CONNS[((tid - 1) % #CONNS) + 1]
  me.booked = {}
  cl = CLINICS[tostring(me.clinic)]
  math.randomseed(tid * 7919)
  log = {}
  n = 0
end

local function pick(list) return list[math.random(#list)] end

local function web(path)
  return wrk.format("GET", path, {["Cookie"] = me.cookie, ["X-Forwarded-Proto"] = "https"})
end

local function api(method, path, body)
  local h = {["Authorization"] = "Bearer " .. me.token, ["X-Forwarded-Proto"] = "https"}
  if body then h["Content-Type"] = "application/json" end
  return wrk.format(method, path, h, body)
end

local plan
local build = {
  dashboard = function() return web("/") end,
  patient_list = function() return web("/patients/") end,
  patient_search = function() return web("/patients/?q=" .. pick(cl.names)) end,
  patient_page = function() return web("/patients/" .. pick(cl.ids) .. "/") end,
  screening_page = function() return web("/patients/" .. pick(cl.ids) .. "/screening/") end,
  consent_page = function() return web("/patients/" .. pick(cl.ids) .. "/consent/") end,
  calendar_week = function() return web("/calendar/?date=" .. pick(cl.weeks)) end,
  api_list = function() return api("GET", "/api/v1/patients?q=" .. pick(cl.names)) end,
  api_read = function() return api("GET", "/api/v1/patients/" .. pick(cl.ids)) end,
  api_readiness = function()
    return api("GET", "/api/v1/patients/" .. pick(cl.ids) .. "/readiness")
  end,
  series_proposal = function()
    -- When every plan of the connection is booked, keep asking (a read) without booking.
    local from = #me.plans > 0 and me.plans or me.booked
    if #from == 0 then return nil end
    plan = pick(from)
    return api("GET", "/api/v1/plans/" .. plan .. "/proposal")
  end,
  chart_draft_save = function()
    if #me.drafts == 0 then return nil end
    draft = pick(me.drafts)
    return api("PATCH", "/api/v1/charts/" .. draft.id, draft.body .. ', "version": '
               .. draft.version .. ', "notes": "bench autosave ' .. tid .. "." .. n .. '"}')
  end,
  create = function()
    return api("POST", "/api/v1/patients", '{"given_name": "Bench", "family_name": "Wrk'
               .. tid .. "n" .. n .. '", "date_of_birth": "1980-02-0' .. (n % 9 + 1)
               .. '", "preferred_language": "en"}')
  end,
}

local function draw()
  local r = math.random(TOTAL)
  for _, e in ipairs(MIX) do
    if r <= e[2] then return e[1] end
  end
  return MIX[#MIX][1]
end

function request()
  n = n + 1
  if pending then
    op, pending = "booking", nil
    t0 = now_us()
    return BOOKING
  end
  for _ = 1, 100 do
    op = draw()
    local req = build[op]()
    if req then
      t0 = now_us()
      return req
    end
  end
  error("no operation of the mix can be made for connection " .. tid)
end

-- A small JSON decoder (proposals only): strings, numbers, objects, arrays, literals.
local function decode(s)
  local pos = 1
  local value
  local function ws() pos = s:find("[^ \t\r\n]", pos) or #s + 1 end
  local function str()
    local parts, i = {}, pos + 1
    while true do
      local j = s:find('["\\]', i)
      if not j then error("unterminated string") end
      parts[#parts + 1] = s:sub(i, j - 1)
      if s:sub(j, j) == '"' then pos = j + 1; return table.concat(parts) end
      local e = s:sub(j + 1, j + 1)
      if e == "u" then parts[#parts + 1] = "?"; i = j + 6
      else parts[#parts + 1] = ({n = "\n", t = "\t", r = "\r", b = "\b", f = "\f"})[e] or e
           i = j + 2 end
    end
  end
  value = function()
    ws()
    local c = s:sub(pos, pos)
    if c == "{" then
      local t = {}
      pos = pos + 1; ws()
      if s:sub(pos, pos) == "}" then pos = pos + 1; return t end
      while true do
        ws(); local k = str(); ws(); pos = pos + 1  -- the ':'
        t[k] = value(); ws()
        local d = s:sub(pos, pos); pos = pos + 1
        if d == "}" then return t end
      end
    elseif c == "[" then
      local t = {}
      pos = pos + 1; ws()
      if s:sub(pos, pos) == "]" then pos = pos + 1; return t end
      while true do
        t[#t + 1] = value(); ws()
        local d = s:sub(pos, pos); pos = pos + 1
        if d == "]" then return t end
      end
    elseif c == '"' then return str()
    elseif s:sub(pos, pos + 3) == "null" then pos = pos + 4; return NULL
    elseif s:sub(pos, pos + 3) == "true" then pos = pos + 4; return true
    elseif s:sub(pos, pos + 4) == "false" then pos = pos + 5; return false
    else
      local num = s:match("^-?[%d.eE+-]+", pos)
      if not num then error("bad JSON at " .. pos) end
      pos = pos + #num
      return tonumber(num)
    end
  end
  return value()
end

local function id(v) if v == NULL or v == nil then return "null" end return tostring(v) end

-- The first session of the proposal with a slot and no appointment, as a booking body.
local function booking_from(body)
  local ok, doc = pcall(decode, body)
  if not ok or type(doc) ~= "table" or type(doc.items) ~= "table" then return nil end
  for _, p in ipairs(doc.items) do
    if p.appointment == NULL and type(p.slot) == "table" then
      local s = p.slot
      return '{"number": ' .. p.number .. ', "start": "' .. s.start
        .. '", "practitioner_id": ' .. id(s.practitioner_id) .. ', "room_id": '
        .. id(s.room_id) .. ', "device_id": ' .. id(s.device_id) .. ', "supervisor_id": '
        .. id(s.supervisor_id) .. '}'
    end
  end
  return nil
end

local function header(headers, name)
  return headers[name] or headers[name:lower()] or ""
end

function response(status, headers, body)
  local lat = now_us() - t0
  local outcome = "ok"
  -- No operation expects a redirect: a 302 is the login page (a lost session).
  if status >= 300 then outcome = "err" end
  if op == "booking" and status == 422 then outcome = "refused" end
  log[#log + 1] = op .. "\t" .. status .. "\t" .. math.floor(lat) .. "\t"
    .. header(headers, "X-Puncta-Queries") .. "\t" .. header(headers, "X-Puncta-CPU-us")
    .. "\t" .. outcome
  if op == "chart_draft_save" and status == 200 then
    local v = body:match('"version":%s*(%d+)')
    if v then draft.version = tonumber(v) end
  elseif op == "series_proposal" and BOOK and status == 200 then
    local b = booking_from(body)
    if b then
      pending = true
      BOOKING = api("POST", "/api/v1/plans/" .. plan .. "/appointments", b)
    else
      for i, p in ipairs(me.plans) do  -- nothing left to book in this plan
        if p == plan then
          table.remove(me.plans, i)
          me.booked[#me.booked + 1] = plan
          break
        end
      end
    end
  end
end

function done(summary, latency, requests)
  local f = assert(io.open(OUT, "w"))
  local e = summary.errors
  f:write("#errors\tconnect=", e.connect, "\tread=", e.read, "\twrite=", e.write,
          "\ttimeout=", e.timeout, "\tstatus=", e.status, "\n")
  f:write("#run\trequests=", summary.requests, "\tduration_us=", summary.duration, "\n")
  for _, t in ipairs(threads) do
    local l = t:get("log")
    if l and #l > 0 then f:write(table.concat(l, "\n"), "\n") end
  end
  f:close()
end
"""

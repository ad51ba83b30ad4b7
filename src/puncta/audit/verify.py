"""Checking the audit chains, their heads, the database's guards and the latest signed
checkpoint (``checkpoints.py``).

What each check catches:
- a changed event: its hash no longer matches its content;
- a deleted event (rows after it not re-chained): the next event's link is wrong;
- a deleted event with every later hash recomputed, a cut tail with the head moved back,
  or the whole table emptied (TRUNCATE) and the head reset: the chain no longer holds the
  event the last signed checkpoint names at that position, or holds fewer events;
- a dropped or disabled append-only trigger: read from the database catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection

from .chain import ChainState, check_event, snapshot, walk
from .checkpoints import Anchor, CheckpointError, Mark, load_anchor
from .models import AuditChainHead
from .seal import seal_all, unsealed_count


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_at: int | None = None
    problem: str = ""
    chains: int = 0
    checkpoint: str = ""  # "#12 of 2026-11-27T14:00:00+00:00" when one was checked
    notes: tuple[str, ...] = field(default_factory=tuple)


def verify_chain(batch_size: int = 2000, *, seal: bool = True) -> ChainReport:
    """Walk every chain in its order; report the first event whose link or content is
    wrong, then heads, the latest checkpoint and the append-only triggers.

    Events still awaiting their seal are sealed first (``seal=False``: counted instead,
    in the report's notes)."""
    if seal:
        seal_all()
    # The checkpoint is read before the snapshot starts: every event it signs was
    # committed before it was written, so the snapshot holds them all.
    try:
        anchor = load_anchor()
    except CheckpointError as exc:
        anchor = Anchor(problem=str(exc))
    with snapshot():
        report = _walk(batch_size, anchor)
        guards = guard_problems()
    problems = [report.problem] if report.problem else []
    problems += guards
    if anchor.problem and not (anchor.missing and report.checked == 0):
        problems.append(anchor.problem)
    notes: tuple[str, ...] = () if anchor.checkpoint or anchor.problem else (
        "no checkpoint yet: run 'puncta audit checkpoint' to anchor the log",)
    if not seal:
        waiting = unsealed_count()
        if waiting:
            notes += (f"{waiting} events await their seal",)
    return ChainReport(
        ok=not problems, checked=report.checked, broken_at=report.broken_at,
        problem="; ".join(problems), chains=report.chains,
        checkpoint=anchor.checkpoint.label if anchor.checkpoint else "", notes=notes,
    )


def _walk(batch_size: int, anchor: Anchor) -> ChainReport:
    states: dict[str, ChainState] = {}
    cp = anchor.checkpoint
    marks: dict[str, Mark] = {m.chain: m for m in cp.marks} if cp else {}
    checked = 0
    for event in walk(batch_size=batch_size):
        state = states.setdefault(event.chain, ChainState(event.chain))
        problem = check_event(state, event)
        if problem:
            return ChainReport(False, checked, event.id, problem, len(states))
        mark = marks.get(event.chain)
        # The signed event must sit at its signed position with its signed hash.
        if mark is not None and (state.count == mark.count or event.id == mark.last_id) \
                and (event.hash, event.id, state.count) != (
                    mark.head, mark.last_id, mark.count):
            return ChainReport(
                False, checked, event.id,
                f"it is not event {mark.count} of chain {mark.chain} as signed by "
                f"checkpoint {cp.label if cp else ''} (events before it were removed "
                "or rewritten)", len(states))
        checked += 1
    heads = {h.chain: h for h in AuditChainHead.objects.all()}
    for chain in sorted(set(states) | set(heads)):
        state = states.get(chain, ChainState(chain))
        head = heads.get(chain)
        if head is None or head.last_hash != state.prev or head.count != state.count:
            return ChainReport(
                False, checked, None,
                f"the newest events of chain {chain} were removed (chain head does not "
                "match)", len(states))
    for mark in marks.values():
        have = states[mark.chain].count if mark.chain in states else 0
        if have < mark.count:
            return ChainReport(
                False, checked, None,
                f"chain {mark.chain} holds {have} events but checkpoint "
                f"{cp.label if cp else ''} signed {mark.count}: events were removed",
                len(states))
    return ChainReport(True, checked, chains=len(states))


# The triggers the migrations install, by database.
SQLITE_TRIGGERS = ("audit_event_no_update", "audit_event_no_delete")
POSTGRES_TRIGGERS = ("audit_event_append_only", "audit_event_no_truncate")


def guard_problems() -> list[str]:
    """Are the append-only triggers in place and enabled?"""
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                        "AND tbl_name = 'audit_auditevent'")
            found = {name: sql for name, sql in cur.fetchall()}
            return [f"trigger {name} is missing (the audit table accepts changes)"
                    for name in SQLITE_TRIGGERS if "RAISE(ABORT" not in found.get(name, "")]
        if connection.vendor != "postgresql":
            return []
        cur.execute("SELECT t.tgname, t.tgenabled FROM pg_trigger t "
                    "WHERE t.tgrelid = 'audit_auditevent'::regclass AND NOT t.tgisinternal")
        enabled = dict(cur.fetchall())
        cur.execute("SELECT prosrc FROM pg_proc WHERE proname = 'audit_event_append_only'")
        bodies = [row[0] for row in cur.fetchall()]
    problems = []
    for name in POSTGRES_TRIGGERS:
        if name not in enabled:
            problems.append(f"trigger {name} is missing (the audit table accepts changes)")
        elif enabled[name] == "D":
            problems.append(f"trigger {name} is disabled (the audit table accepts changes)")
    if len(bodies) != 1 or "RAISE EXCEPTION" not in bodies[0].upper():
        problems.append("function audit_event_append_only() was replaced or removed")
    return problems

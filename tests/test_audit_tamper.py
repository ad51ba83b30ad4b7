"""Attacks on the audit log by someone holding the application's database connection,
each detected by `puncta audit verify` against the latest signed checkpoint.

On PostgreSQL the attacker switches the row triggers off for their session
(session_replication_role, which leaves no trace in the catalogue); on SQLite they drop
the triggers and put them back afterwards, so what catches each attack is the chain and
the checkpoint, not the trigger check (which has its own tests here)."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from puncta.audit.checkpoints import CheckpointError, sign, write_checkpoint
from puncta.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent, chain_hash
from puncta.audit.seal import seal_all
from puncta.audit.services import SYSTEM, Actor, record
from puncta.audit.verify import verify_chain

from .factories import ClinicFactory

pytestmark = pytest.mark.django_db
KEY = "test-audit-key-" + "k" * 40


@pytest.fixture
def anchored(settings, tmp_path):
    """Events in two clinics and the system chain, then a signed checkpoint."""
    settings.AUDIT_KEY = KEY
    a, b = ClinicFactory(), ClinicFactory()
    for i in range(4):
        record(Actor(label="nurse", clinic_id=a.pk), "read", object_type="patients.patient",
               object_id=str(i), patient_id=i)
        record(Actor(label="desk", clinic_id=b.pk), "read", object_type="patients.patient",
               object_id=str(i), patient_id=100 + i)
    record(SYSTEM, "login_failed", object_type="accounts.user")
    cp = write_checkpoint()
    assert cp.events == 9 and len(cp.marks) == 3
    return f"clinic:{a.pk}"


def _raw(*statements: str, params: list[object] | None = None) -> None:
    """Run SQL as the attacker on the sealed log: guards lifted for the duration, then
    put back."""
    seal_all()
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # The test's own inserts are still in its transaction: settle their deferred
            # foreign-key checks first, as a separate attacker session would find them.
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute("SET session_replication_role = replica")
        else:
            cur.execute("DROP TRIGGER audit_event_no_update")
            cur.execute("DROP TRIGGER audit_event_no_delete")
        for sql in statements:
            cur.execute(sql, params)
        if connection.vendor == "postgresql":
            cur.execute("SET session_replication_role = DEFAULT")
        else:
            from puncta.audit.guards import restore_triggers

            restore_triggers(connection)


def _rechain(chain: str) -> None:
    """Recompute every hash of a chain after a deletion and move its head: the forgery
    that an unkeyed hash cannot catch (positions renumbered too)."""
    seal_all()
    prev = GENESIS_HASH
    events = list(AuditEvent.objects.filter(chain=chain).order_by("id"))
    for position, event in enumerate(events, 1):
        event.prev_hash = prev
        new = chain_hash(prev, event.content())
        _raw("UPDATE audit_auditevent SET seq = %s, prev_hash = %s, hash = %s WHERE id = %s",
             params=[position, prev, new, event.id])
        prev = new
    _raw("UPDATE audit_auditchainhead SET last_hash = %s, count = %s WHERE chain = %s",
         params=[prev, len(events), chain])


def _verify_fails(match: str) -> None:
    report = verify_chain()
    assert not report.ok
    assert match in report.problem, report.problem
    with pytest.raises(CommandError, match=r"audit (chain broken|log not intact)"):
        call_command("audit", "verify")


def test_untouched_log_verifies_against_its_checkpoint(anchored, capsys):
    record(SYSTEM, "create", object_type="after.checkpoint")
    report = verify_chain()
    assert report.ok and report.checked == 10 and report.chains == 3
    assert report.checkpoint.startswith("#1 of ")
    call_command("audit", "verify")
    assert "matches checkpoint #1" in capsys.readouterr().out


def test_deleting_an_event_and_rechaining_is_detected(anchored):
    clinic_id = int(anchored.split(":")[1])
    record(Actor(label="nurse", clinic_id=clinic_id), "read", object_type="after")
    victim = AuditEvent.objects.filter(chain=anchored).order_by("id")[1]
    _raw(f"DELETE FROM audit_auditevent WHERE id = {victim.id}")
    _rechain(anchored)
    # The chain alone now looks perfect; only the signed checkpoint tells.
    report = verify_chain()
    assert not report.ok and "removed or rewritten" in report.problem
    assert report.broken_at is not None and report.broken_at > victim.id
    with pytest.raises(CommandError, match=f"broken at event {report.broken_at}"):
        call_command("audit", "verify")


def test_cutting_the_tail_and_moving_the_head_back_is_detected(anchored):
    events = list(AuditEvent.objects.filter(chain=anchored).order_by("id"))
    keep = events[:-2]
    _raw(f"DELETE FROM audit_auditevent WHERE id >= {events[-2].id} AND chain = '{anchored}'")
    _raw("UPDATE audit_auditchainhead SET last_hash = %s, count = %s WHERE chain = %s",
         params=[keep[-1].hash, len(keep), anchored])
    _verify_fails(f"chain {anchored} holds 2 events but checkpoint #1")


def test_emptying_the_table_and_resetting_heads_is_detected(anchored):
    if connection.vendor == "postgresql":
        _raw("TRUNCATE audit_auditevent")
    else:
        _raw("DELETE FROM audit_auditevent")
    _raw("UPDATE audit_auditchainhead SET last_hash = %s, count = 0", params=[GENESIS_HASH])
    assert AuditEvent.objects.count() == 0
    _verify_fails("holds 0 events but checkpoint #1")


def test_truncate_is_refused_by_the_database(anchored):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE: DELETE is refused by its trigger")
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
            connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("TRUNCATE audit_auditevent")


def test_a_disabled_or_missing_trigger_is_detected(anchored):
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
            _verify_fails("trigger audit_event_append_only is disabled")
            cur.execute("DROP TRIGGER audit_event_no_truncate ON audit_auditevent")
            _verify_fails("trigger audit_event_no_truncate is missing")
        else:
            cur.execute("DROP TRIGGER audit_event_no_update")
            _verify_fails("trigger audit_event_no_update is missing")


def test_a_replaced_guard_function_is_detected(anchored):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite triggers carry their body: covered by the missing-trigger test")
    with connection.cursor() as cur:
        cur.execute("CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS "
                    "$$ BEGIN RETURN OLD; END; $$ LANGUAGE plpgsql")
    _verify_fails("function audit_event_append_only() was replaced")


def test_a_missing_checkpoint_file_is_detected(anchored, settings):
    settings.AUDIT_CHECKPOINT_FILE.unlink()
    _verify_fails("no audit checkpoint found")


def test_an_unreadable_checkpoint_file_is_detected(anchored, settings):
    settings.AUDIT_CHECKPOINT_FILE.write_text("{not json\n")
    _verify_fails("garbled")


def test_a_forged_checkpoint_is_detected(anchored, settings):
    """The attacker rewrites the checkpoint to match a cut tail: without the key the
    signature cannot follow."""
    path = settings.AUDIT_CHECKPOINT_FILE
    record_ = json.loads(path.read_text().splitlines()[-1])
    for c in record_["chains"]:
        if c["chain"] == anchored:
            c["count"] -= 1
    path.write_text(json.dumps(record_) + "\n")
    _verify_fails("bad signature")
    body = {k: v for k, v in record_.items() if k != "sig"}
    path.write_text(json.dumps({**body, "sig": sign(body, b"guessed key")}) + "\n")
    _verify_fails("bad signature")


def test_a_checkpoint_signed_with_another_key_says_so(anchored, settings):
    settings.AUDIT_KEY = "another-key-" + "z" * 40
    _verify_fails("signed with another key")


def test_no_key_and_no_checkpoint_verifies_unanchored(capsys):
    record(SYSTEM, "create", object_type="x")
    report = verify_chain()
    assert report.ok and not report.checkpoint
    call_command("audit", "verify")
    assert "no checkpoint yet" in capsys.readouterr().out


def test_checkpoints_extend_and_refuse_to_sign_a_tampered_log(anchored, settings, capsys):
    record(SYSTEM, "create", object_type="x")
    call_command("audit", "checkpoint")
    assert "checkpoint #2" in capsys.readouterr().out
    lines = settings.AUDIT_CHECKPOINT_FILE.read_text().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [1, 2]
    assert json.loads(lines[-1])["events"] == 10
    victim = AuditEvent.objects.filter(chain=anchored).order_by("id").first()
    _raw(f"DELETE FROM audit_auditevent WHERE id = {victim.id}")
    _rechain(anchored)
    with pytest.raises(CheckpointError, match="no longer holds"):
        write_checkpoint()
    with pytest.raises(CommandError, match="audit checkpoint refused"):
        call_command("audit", "checkpoint")
    assert len(settings.AUDIT_CHECKPOINT_FILE.read_text().splitlines()) == 2


def test_the_first_checkpoint_generates_a_private_key_file(settings):
    record(SYSTEM, "create", object_type="x")
    assert not settings.AUDIT_KEY_FILE.exists()
    write_checkpoint()
    assert settings.AUDIT_KEY_FILE.stat().st_mode & 0o777 == 0o600
    key = settings.AUDIT_KEY_FILE.read_text()
    write_checkpoint()
    assert settings.AUDIT_KEY_FILE.read_text() == key
    assert verify_chain().ok


def test_checkpoints_can_go_to_a_django_storage(settings, tmp_path):
    settings.AUDIT_KEY = KEY
    settings.STORAGES = {**settings.STORAGES, "audit_checkpoints": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "bucket")}}}
    record(SYSTEM, "create", object_type="x")
    write_checkpoint()
    write_checkpoint()
    names = sorted(p.name for p in (tmp_path / "bucket" / "audit-checkpoints").iterdir())
    assert names == ["000000000001.json", "000000000002.json"]
    assert verify_chain().checkpoint.startswith("#2 ")
    (tmp_path / "bucket" / "audit-checkpoints" / names[-1]).unlink()
    (tmp_path / "bucket" / "audit-checkpoints" / names[0]).unlink()
    assert "no audit checkpoint found" in verify_chain().problem


def test_a_torn_last_line_is_skipped_and_closed(anchored, settings):
    path = settings.AUDIT_CHECKPOINT_FILE
    with open(path, "a") as f:
        f.write('{"seq": 2, "tor')  # a crash in the middle of a write
    assert verify_chain().ok
    write_checkpoint()
    assert verify_chain().checkpoint.startswith("#2 ")


def test_worker_writes_checkpoints_on_a_schedule(settings):
    from django_tasks_db.models import DBTaskResult

    from puncta.audit.tasks import ensure_scheduled, write_checkpoint_task

    settings.AUDIT_KEY = KEY
    record(SYSTEM, "create", object_type="x")
    assert ensure_scheduled() is True
    assert ensure_scheduled() is False  # one is already waiting
    # What `puncta worker` does with the due task (its loop closes the test's connection).
    due = DBTaskResult.objects.ready().get(task_path=write_checkpoint_task.module_path)
    due.status = "RUNNING"  # claimed, as the worker does
    due.save()
    assert due.task.call().startswith("checkpoint #1")
    due.delete()
    assert verify_chain().checkpoint.startswith("#1 ")
    [queued] = DBTaskResult.objects.filter(task_path=write_checkpoint_task.module_path,
                                           status="READY")
    assert queued.run_after > due.run_after  # the next one, AUDIT_CHECKPOINT_MINUTES later
    assert not DBTaskResult.objects.ready().filter(pk=queued.pk).exists()
    # A second cycle (two workers started together) dies out instead of doubling.
    second = write_checkpoint_task.enqueue()
    claimed = DBTaskResult.objects.get(pk=second.id)
    claimed.status = "RUNNING"
    claimed.save()
    claimed.task.call()
    assert list(DBTaskResult.objects.filter(task_path=write_checkpoint_task.module_path,
                                            status="READY")) == [queued]


def test_clinics_write_to_their_own_chains():
    a, b = ClinicFactory(), ClinicFactory()
    ea = record(Actor(label="x", clinic_id=a.pk), "read", object_type="t")
    eb = record(Actor(label="y", clinic_id=b.pk), "read", object_type="t")
    es = record(SYSTEM, "read", object_type="t")
    assert (ea.chain, eb.chain, es.chain) == (f"clinic:{a.pk}", f"clinic:{b.pk}", "system")
    assert seal_all() == 3
    for e in (ea, eb, es):
        e.refresh_from_db()
        assert e.seq == 1
    assert ea.prev_hash == eb.prev_hash == es.prev_hash == GENESIS_HASH
    heads = dict(AuditChainHead.objects.values_list("chain", "count"))
    assert heads == {f"clinic:{a.pk}": 1, f"clinic:{b.pk}": 1, "system": 1}
    assert verify_chain().ok


def test_an_event_moved_to_another_chain_is_detected(anchored):
    event = AuditEvent.objects.filter(chain=anchored).order_by("id").last()
    _raw("UPDATE audit_auditevent SET chain = 'system' WHERE id = %s", params=[event.id])
    assert not verify_chain().ok

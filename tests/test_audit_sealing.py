"""Audit events are written unsealed and sealed after their commit (puncta.audit.seal):
what the database allows an UPDATE to do, when events get sealed, and that the chain
order is the sealing order."""

from __future__ import annotations

import time

import pytest
from django.db import DatabaseError, connection, transaction

from puncta.audit.checkpoints import write_checkpoint
from puncta.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from puncta.audit.seal import seal, seal_all, unsealed_count
from puncta.audit.sealer import Sealer
from puncta.audit.services import SYSTEM, Actor, record
from puncta.audit.verify import verify_chain

from .factories import ClinicFactory

pytestmark = pytest.mark.django_db


def _update(sql: str, params: list[object]) -> None:
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params)


def test_an_event_is_written_unsealed_in_the_writers_transaction():
    clinic = ClinicFactory()
    with transaction.atomic():
        event = record(Actor(label="n", clinic_id=clinic.pk), "read", object_type="t")
        assert (event.seq, event.prev_hash, event.hash) == (None, None, None)
    assert unsealed_count() == 1
    assert seal(f"clinic:{clinic.pk}") == 1
    event.refresh_from_db()
    assert event.seq == 1 and event.prev_hash == GENESIS_HASH
    assert event.hash == event.compute_hash()
    head = AuditChainHead.objects.get(chain=f"clinic:{clinic.pk}")
    assert (head.count, head.last_hash) == (1, event.hash)


def test_the_database_lets_an_update_seal_and_do_nothing_else():
    event = record(SYSTEM, "create", object_type="t")
    # Changing the content of an unsealed event, even while sealing it: refused.
    with pytest.raises(DatabaseError):
        _update("UPDATE audit_auditevent SET reason = 'x', seq = 1, prev_hash = %s, "
                "hash = 'f' WHERE id = %s", [GENESIS_HASH, event.id])
    # Sealing it half-way (no position): refused.
    with pytest.raises(DatabaseError):
        _update("UPDATE audit_auditevent SET prev_hash = %s, hash = 'f' WHERE id = %s",
                [GENESIS_HASH, event.id])
    assert seal_all() == 1
    # Re-sealing a sealed event (rewriting its link): refused.
    with pytest.raises(DatabaseError):
        _update("UPDATE audit_auditevent SET seq = 7, prev_hash = %s, hash = 'e' "
                "WHERE id = %s", [GENESIS_HASH, event.id])
    with pytest.raises(DatabaseError):
        _update("DELETE FROM audit_auditevent WHERE id = %s", [event.id])
    event.refresh_from_db()
    assert event.seq == 1 and verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_events_are_sealed_when_their_transaction_commits(settings):
    settings.AUDIT_SEAL = "commit"
    clinic = ClinicFactory()
    actor = Actor(label="n", clinic_id=clinic.pk)
    with transaction.atomic():
        first = record(actor, "read", object_type="t")
        second = record(actor, "read", object_type="t")
        assert unsealed_count() == 2  # not before the commit
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.seq, second.seq) == (1, 2)
    assert second.prev_hash == first.hash
    assert unsealed_count() == 0 and verify_chain(seal=False).ok


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_action_leaves_no_event():
    clinic = ClinicFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        record(Actor(label="n", clinic_id=clinic.pk), "update", object_type="t")
        raise RuntimeError("the action failed")
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_with_worker_sealing_events_wait_for_the_worker(settings):
    settings.AUDIT_SEAL = "worker"
    clinic = ClinicFactory()
    record(Actor(label="n", clinic_id=clinic.pk), "read", object_type="t")
    record(SYSTEM, "read", object_type="t")
    assert unsealed_count() == 2
    report = verify_chain(seal=False)
    assert report.ok and "2 events await their seal" in report.notes
    # The worker's sealing thread, on its own connection, every few milliseconds here.
    sealer = Sealer(every=0.01)
    sealer.start()
    try:
        for _ in range(500):
            if unsealed_count() == 0:
                break
            time.sleep(0.01)
    finally:
        sealer.halt()
    assert not sealer.is_alive()
    assert unsealed_count() == 0 and verify_chain(seal=False).ok


def test_chain_order_is_sealing_order_and_checkpoints_follow_it(settings, tmp_path):
    settings.AUDIT_KEY = "k" * 40
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "cp.jsonl"
    clinic = ClinicFactory()
    actor = Actor(label="n", clinic_id=clinic.pk)
    chain = f"clinic:{clinic.pk}"
    early = record(actor, "read", object_type="early")
    late = record(actor, "read", object_type="late")
    # Seal the later one first, as when the earlier one's transaction commits last and a
    # sealer ran in between (it sees only committed events).
    from puncta.audit import seal as sealing

    sealed_late = _sealed(late, 1, GENESIS_HASH)
    sealing._write([sealed_late])
    AuditChainHead.objects.update_or_create(
        chain=chain, defaults={"count": 1, "last_hash": sealed_late.hash})
    assert seal(chain) == 1
    early.refresh_from_db()
    late.refresh_from_db()
    assert (late.seq, early.seq) == (1, 2) and early.prev_hash == late.hash
    cp = write_checkpoint()
    assert cp.events == 2
    record(actor, "read", object_type="after")
    assert write_checkpoint().events == 3
    assert verify_chain().ok


def _sealed(event: AuditEvent, seq: int, prev: str) -> AuditEvent:
    event.seq, event.prev_hash = seq, prev
    event.hash = event.compute_hash()
    return event


@pytest.mark.django_db(transaction=True)
def test_a_process_seals_a_chain_at_most_once_per_interval(settings):
    """Under load one seal covers many writers' events: a second commit right after the
    first leaves its event to the next sealer (here the worker's task)."""
    from puncta.audit import seal as sealing

    settings.AUDIT_SEAL, settings.AUDIT_SEAL_EVERY_MS = "commit", 60_000
    clinic = ClinicFactory()
    sealing._last_sealed.pop(f"clinic:{clinic.pk}", None)
    actor = Actor(label="n", clinic_id=clinic.pk)
    first = record(actor, "read", object_type="t")
    second = record(actor, "read", object_type="t")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.seq == 1 and second.hash is None
    assert Sealer(every=1).once() == 1  # the worker's next round
    second.refresh_from_db()
    assert second.seq == 2 and verify_chain(seal=False).ok


@pytest.mark.django_db(transaction=True)
def test_the_worker_seals_what_writers_left(settings, monkeypatch):
    from django.core.management import call_command

    from puncta.audit import tasks

    settings.AUDIT_SEAL = "worker"
    # No checkpoint this run (a checkpoint seals first too): the sealer alone must do it.
    monkeypatch.setattr(tasks, "ensure_scheduled", lambda: False)
    clinic = ClinicFactory()
    record(Actor(label="n", clinic_id=clinic.pk), "read", object_type="t")
    assert unsealed_count() == 1
    call_command("worker", "--batch")
    assert unsealed_count() == 0 and verify_chain(seal=False).ok

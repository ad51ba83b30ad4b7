"""Audit set-up: the legacy global chain after the per-clinic split, the production key
requirement, and the PostgreSQL application role that does not own the audit table."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from puncta.audit.checkpoints import write_checkpoint
from puncta.audit.guards import after_migrate, setup_app_role
from puncta.audit.models import GENESIS_HASH, LEGACY_CHAIN, AuditChainHead, AuditEvent
from puncta.audit.services import SYSTEM, Actor, record
from puncta.audit.verify import verify_chain

from .factories import ClinicFactory

pytestmark = pytest.mark.django_db


def _legacy_events(n: int) -> list[AuditEvent]:
    """Events as the global chain wrote them before 0003 (one chain across clinics),
    which the migration marks `legacy`, head row included."""
    a, b = ClinicFactory(), ClinicFactory()
    prev = GENESIS_HASH
    events = []
    for i in range(n):
        e = AuditEvent(at=timezone.now(), actor_label="old", clinic_id=(a, b)[i % 2].pk,
                       object_type="patients.patient", object_id=str(i), action="read",
                       chain=LEGACY_CHAIN, prev_hash=prev)
        e.hash = e.compute_hash()
        prev = e.hash
        events.append(e)
    AuditEvent.objects.bulk_create(events)
    AuditChainHead.objects.create(chain=LEGACY_CHAIN, last_hash=prev, count=n)
    return events


def test_the_legacy_global_chain_verifies_beside_per_clinic_chains(settings):
    settings.AUDIT_KEY = "k" * 40
    events = _legacy_events(6)
    record(Actor(label="new", clinic_id=events[0].clinic_id), "read", object_type="t")
    record(SYSTEM, "read", object_type="t")
    cp = write_checkpoint()
    assert {m.chain for m in cp.marks} == {LEGACY_CHAIN, "system",
                                           f"clinic:{events[0].clinic_id}"}
    report = verify_chain()
    assert report.ok and report.checked == 8 and report.chains == 3


def test_a_changed_legacy_event_is_still_caught():
    events = _legacy_events(4)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
        else:
            cur.execute("DROP TRIGGER audit_event_no_update")
        cur.execute("UPDATE audit_auditevent SET object_id = 'x' WHERE id = %s",
                    [events[2].id])
    report = verify_chain()
    assert not report.ok and report.broken_at == events[2].id


def _production(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = ("import os; os.environ['DJANGO_SETTINGS_MODULE']='puncta.settings'; "
            "from django.conf import settings; settings.SECRET_KEY")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PUNCTA_")}
    base = {"PUNCTA_MODE": "production", "SECRET_KEY": "s" * 10 + "abcdefghij" * 5,
            "ALLOWED_HOSTS": "clinic.example.org", "DATABASE_URL": "postgres://u@db/puncta"}
    return subprocess.run([sys.executable, "-c", code], env={**clean, **base, **env},
                          capture_output=True, text=True, timeout=60)


def test_production_requires_an_explicit_audit_key(tmp_path):
    missing = _production({"PUNCTA_DATA_DIR": str(tmp_path)})
    assert missing.returncode != 0 and "PUNCTA_AUDIT_KEY" in missing.stderr
    short = _production({"PUNCTA_DATA_DIR": str(tmp_path), "PUNCTA_AUDIT_KEY": "short"})
    assert short.returncode != 0 and "too short" in short.stderr
    keyfile = _production({"PUNCTA_DATA_DIR": str(tmp_path),
                           "PUNCTA_AUDIT_KEY_FILE": str(tmp_path / "k")})
    assert keyfile.returncode == 0, keyfile.stderr


def test_production_never_generates_a_key(settings):
    settings.PRODUCTION = True
    record(SYSTEM, "read", object_type="t")
    with pytest.raises(ImproperlyConfigured, match="audit key file"):
        write_checkpoint()
    assert not settings.AUDIT_KEY_FILE.exists()



@pytest.fixture
def app_role(settings):
    if connection.vendor != "postgresql":
        pytest.skip("database roles are PostgreSQL's")
    role = f"puncta_audit_app_{os.getpid()}"
    settings.DB_APP_ROLE = role
    settings.DB_APP_PASSWORD = "app-password"
    # Role and grants are created inside the test's transaction: rolled back after it.
    after_migrate(using="default")
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    return role


def test_migrate_sets_up_an_app_role_that_cannot_touch_audit_events(app_role):
    clinic = ClinicFactory()
    before = record(SYSTEM, "read", object_type="t")
    with connection.cursor() as cur:
        cur.execute("SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname = %s",
                    [app_role])
        assert cur.fetchone() == (True, False)
        cur.execute(f'SET ROLE "{app_role}"')
        try:
            # The application works as this role: it reads, and appends to the chains.
            record(Actor(label="nurse", clinic_id=clinic.pk), "read", object_type="t")
            assert AuditEvent.objects.count() == 2
            for sql in (
                f"UPDATE audit_auditevent SET reason = 'x' WHERE id = {before.id}",
                f"DELETE FROM audit_auditevent WHERE id = {before.id}",
                "TRUNCATE audit_auditevent",
                "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only",
                "DROP TRIGGER audit_event_no_truncate ON audit_auditevent",
                "SET session_replication_role = replica",
                "DELETE FROM audit_auditchainhead",
            ):
                with pytest.raises(DatabaseError, match=r"permission denied|must be owner"), \
                        transaction.atomic():
                    cur.execute(sql)
        finally:
            cur.execute("RESET ROLE")
    assert verify_chain().ok


def test_the_app_role_may_not_be_a_superuser_or_the_owner(app_role):
    with connection.cursor() as cur:
        cur.execute("SELECT current_user")
        owner = cur.fetchone()[0]
    with pytest.raises(ImproperlyConfigured, match=r"superuser|owns the audit table"):
        setup_app_role(connection, owner)


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_writes_events_then_is_flushed():
    record(SYSTEM, "read", object_type="t")
    assert verify_chain().ok


def test_the_flush_after_it_left_the_guards_in_place():
    """The flush lifts the append-only triggers; its post_migrate puts them back."""
    from puncta.audit.verify import guard_problems

    assert guard_problems() == []
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_an_audited_write_never_waits_on_another_writers_transaction():
    """While one transaction of a clinic has written an event and not committed, other
    audited writes of the same clinic and of another go through: events are written
    unsealed, with no lock (PostgreSQL; SQLite has one writer at a time by design)."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises all writers")
    import threading

    from django.db import connections

    a, b = ClinicFactory(), ClinicFactory()
    record(Actor(label="a", clinic_id=a.pk), "read", object_type="t")  # heads exist
    record(Actor(label="b", clinic_id=b.pk), "read", object_type="t")
    holding, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def hold_a() -> None:
        try:
            with transaction.atomic():
                record(Actor(label="a", clinic_id=a.pk), "update", object_type="t")
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    def write(clinic_id: int, key: str) -> None:
        try:
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute("SET LOCAL lock_timeout = '1s'")
                record(Actor(label=key, clinic_id=clinic_id), "update", object_type="t")
            outcome[key] = "written"
        except DatabaseError as exc:
            outcome[key] = type(exc).__name__
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_a)
    holder.start()
    assert holding.wait(10)
    for clinic_id, key in ((b.pk, "other clinic"), (a.pk, "same clinic")):
        t = threading.Thread(target=write, args=(clinic_id, key))
        t.start()
        t.join(10)
    release.set()
    holder.join(10)
    assert outcome == {"other clinic": "written", "same clinic": "written"}
    assert verify_chain().ok
    # The holder's event (lowest id of its clinic's last three) committed last: sealed
    # after the others, so its position follows theirs.
    rows = list(AuditEvent.objects.filter(clinic_id=a.pk).order_by("seq")
                .values_list("actor_label", "seq"))
    assert rows == [("a", 1), ("same clinic", 2), ("a", 3)]


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_the_old_global_chain_as_legacy():
    """Data written by the global-chain code (one head row with id 1, events of every
    clinic in one chain) verifies after 0003, and new chains start beside it."""
    import datetime as dt

    from django.db.migrations.executor import MigrationExecutor

    from puncta.audit.models import chain_hash, event_content

    before = ("audit", "0002_append_only_triggers")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    try:
        old = executor.loader.project_state(before).apps
        event, head = old.get_model("audit", "AuditEvent"), old.get_model("audit", "AuditChainHead")
        a, b = ClinicFactory(), ClinicFactory()
        prev = GENESIS_HASH
        for i in range(5):
            fields = {"at": dt.datetime(2026, 11, 1, 9, i, tzinfo=dt.UTC), "actor_id": None,
                      "actor_label": "old", "role": "", "clinic_id": (a, b)[i % 2].pk,
                      "patient_id": i, "object_type": "patients.patient",
                      "object_id": str(i), "action": "read", "ip": None, "reason": "",
                      "data": {}}
            digest = chain_hash(prev, event_content(**fields))
            event.objects.create(**fields, prev_hash=prev, hash=digest)
            prev = digest
        head.objects.create(pk=1, last_hash=prev, count=5)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes("audit"))
    assert AuditChainHead.objects.get(pk=1).chain == LEGACY_CHAIN
    record(Actor(label="new", clinic_id=a.pk), "read", object_type="t")
    record(SYSTEM, "read", object_type="t")
    report = verify_chain()
    assert report.ok and report.checked == 7 and report.chains == 3
    from puncta.audit.verify import guard_problems

    assert guard_problems() == []


@pytest.mark.django_db(transaction=True)
def test_a_verify_snapshot_neither_blocks_nor_sees_concurrent_writes():
    import threading

    from django.db import connections

    from puncta.audit.chain import snapshot

    record(SYSTEM, "read", object_type="t")
    done: list[bool] = []

    def write() -> None:
        try:
            record(SYSTEM, "read", object_type="t")
            done.append(True)
        finally:
            connections.close_all()

    with snapshot():
        assert AuditEvent.objects.count() == 1
        writer = threading.Thread(target=write)
        writer.start()
        writer.join(15)
        assert done == [True]  # not held up by the open read
        assert AuditEvent.objects.count() == 1  # and not seen by it
    assert AuditEvent.objects.count() == 2

"""What ``puncta migrate`` re-asserts after every run: the append-only triggers, and on
PostgreSQL (opt-in, ``PUNCTA_DB_APP_ROLE``) an application role that does not own the
audit table, so the application's own connection can neither change events nor switch
their guards off."""

from __future__ import annotations

import importlib
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

EVENTS = "audit_auditevent"
HEADS = "audit_auditchainhead"


def after_migrate(*, using: str = "default", apps: Any = None, **kwargs: Any) -> None:
    if apps is not None:
        try:
            model = apps.get_model("audit", "AuditEvent")
        except LookupError:
            return
        if "chain" not in {f.name for f in model._meta.get_fields()}:
            return  # migrated back before chains: nothing of ours to re-assert
    connection = connections[using]
    restore_triggers(connection)
    if settings.DB_APP_ROLE and connection.vendor == "postgresql":
        setup_app_role(connection, settings.DB_APP_ROLE, settings.DB_APP_PASSWORD)


def restore_triggers(connection: BaseDatabaseWrapper) -> None:
    """Put back a trigger that is missing or disabled (the test suite's flush lifts them;
    an attack that did so shows in the chain and checkpoints, not only here)."""
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            triggers = importlib.import_module("puncta.audit.migrations.0004_sealing")
            for sql in triggers.SQLITE:
                cur.execute(sql.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS"))
        elif connection.vendor == "postgresql":
            cur.execute("SELECT tableowner = current_user FROM pg_tables "
                        "WHERE schemaname = current_schema() AND tablename = %s", [EVENTS])
            row = cur.fetchone()
            if row and row[0]:
                cur.execute(f"ALTER TABLE {EVENTS} ENABLE TRIGGER audit_event_append_only")
                cur.execute(f"ALTER TABLE {EVENTS} ENABLE TRIGGER audit_event_no_truncate")


def setup_app_role(connection: BaseDatabaseWrapper, role: str, password: str = "") -> None:
    """Create the role if it does not exist (needs CREATEROLE), then grant it normal rights
    on every table but only SELECT, INSERT and the sealing columns' UPDATE on audit
    events, and no DELETE or TRUNCATE
    on the chain heads (SELECT ... FOR UPDATE and the head update need UPDATE there)."""
    q = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
        row = cur.fetchone()
        if row is None:
            try:
                if password:
                    cur.execute(f"CREATE ROLE {q(role)} LOGIN PASSWORD %s", [password])
                else:
                    cur.execute(f"CREATE ROLE {q(role)} LOGIN")
            except Exception as exc:
                raise ImproperlyConfigured(
                    f"PUNCTA_DB_APP_ROLE={role!r} does not exist and could not be created "
                    f"({str(exc).strip().splitlines()[0]}): create it, or migrate as a role "
                    "with CREATEROLE") from exc
        elif row[0]:
            raise ImproperlyConfigured(
                f"PUNCTA_DB_APP_ROLE={role!r} is a superuser: it could switch the audit "
                "guards off. Use an ordinary role.")
        cur.execute("SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() "
                    "AND tablename = %s", [EVENTS])
        owner = cur.fetchone()
        if owner and owner[0] == role:
            raise ImproperlyConfigured(
                f"PUNCTA_DB_APP_ROLE={role!r} owns the audit table: run 'puncta migrate' as "
                "another role (the owner), and the application as this one.")
        db = connection.settings_dict["NAME"]
        for sql in (
            f"GRANT CONNECT ON DATABASE {q(db)} TO {q(role)}",
            f"GRANT USAGE ON SCHEMA public TO {q(role)}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {q(role)}",
            f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {q(role)}",
            f"REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON {EVENTS} FROM {q(role)}",
            # Sealing sets these three on an unsealed event (the trigger allows only that).
            f"GRANT UPDATE (seq, prev_hash, hash) ON {EVENTS} TO {q(role)}",
            f"REVOKE DELETE, TRUNCATE, TRIGGER, REFERENCES ON {HEADS} FROM {q(role)}",
        ):
            cur.execute(sql)

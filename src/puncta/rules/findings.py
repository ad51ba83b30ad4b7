"""Build findings from the message templates and turn findings into a verdict."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from .data import RULES_VERSION, rules_data
from .model import SEVERITY_RANK, Decision, Finding, Severity, Verdict


def fmt(value: float) -> str:
    """Numbers as a person writes them: 1.5, 2, 0.25."""
    return f"{value:g}"


def make(
    template: str,
    field: str,
    *,
    code: str | None = None,
    severity: Severity | None = None,
    source: str | None = None,
    **params: object,
) -> Finding:
    """A finding from the message `template`; `code` defaults to the template's name."""
    return _make(template, field, code, severity, source, tuple(params.items()))


# Findings are immutable and the same inputs recur (the same zone at the same depth), so
# formatted findings are memoised: this keeps check_session well above 20,000/s.
@lru_cache(maxsize=8192)
def _make(
    template: str,
    field: str,
    code: str | None,
    severity: Severity | None,
    source: str | None,
    params: tuple[tuple[str, object], ...],
) -> Finding:
    msg = rules_data().messages[template]
    values = dict(params)
    sev: Severity = severity or msg.severity  # type: ignore[assignment]
    return Finding(
        code=code or template,
        severity=sev,
        message=msg.en.format(**values),
        message_fr=msg.fr.format(**values),
        rule=msg.rule,
        source=source or msg.source,
        field=field,
    )


def verdict_of(findings: Iterable[Finding]) -> Verdict:
    worst = 0
    for f in findings:
        rank = SEVERITY_RANK[f.severity]
        if rank > worst:
            worst = rank
    # `note` (rank 0) never changes the verdict.
    return "refuse" if worst == 2 else "review" if worst == 1 else "allow"


def decide(findings: Iterable[Finding]) -> Decision:
    found = tuple(findings)
    return Decision(verdict_of(found), found, RULES_VERSION)


def verdict_of_severities(severities: Iterable[str]) -> Verdict:
    """The verdict of findings held as plain records (e.g. stored JSON): the same order."""
    worst = max((SEVERITY_RANK.get(s, 0) for s in severities), default=0)
    return "refuse" if worst == 2 else "review" if worst == 1 else "allow"

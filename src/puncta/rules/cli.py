"""`puncta rules check|plan|codes`: the rules without the web app.

Exit 0 with JSON on stdout whatever the verdict; exit 2 with one line on stderr naming
the bad field for malformed input. Never a traceback for bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import NoReturn

from .codes import codes
from .course import plan_course
from .model import RulesInputError
from .parse import parse_date, proposal_from_dict
from .session import check_session


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _build() -> argparse.ArgumentParser:
    parser = _Parser(prog="puncta rules", description="Puncta clinical rules engine")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    check = sub.add_parser("check", help="check a session proposal (JSON file, - for stdin)")
    check.add_argument("file")
    plan = sub.add_parser("plan", help="plan a course")
    plan.add_argument("--indication", required=True)
    plan.add_argument("--severity", required=True)
    plan.add_argument("--start", required=True, help="YYYY-MM-DD")
    plan.add_argument(
        "--done",
        action="append",
        default=[],
        help="actual date of a done session (repeat); windows re-flow from it",
    )
    sub.add_parser("codes", help="print every code with English and French labels")
    return parser


def _dump(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def _check(path: str) -> None:
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
    except OSError as exc:
        raise RulesInputError("file", f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise RulesInputError("file", f"{path} is not UTF-8 text") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RulesInputError("file", f"invalid JSON at line {exc.lineno}: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:
        # Numbers of thousands of digits, arrays nested thousands deep.
        raise RulesInputError("file", f"JSON refused: {type(exc).__name__}") from None
    _dump(check_session(proposal_from_dict(raw)).to_dict())


def main(argv: list[str] | None = None) -> int:
    args = _build().parse_args(argv)
    try:
        if args.command == "check":
            _check(args.file)
        elif args.command == "plan":
            start = parse_date(args.start, "start")
            done = [parse_date(d, f"done[{i}]") for i, d in enumerate(args.done)]
            _dump(plan_course(args.indication, args.severity, start=start, done=done).to_dict())
        else:
            _dump(codes())
    except RulesInputError as exc:
        sys.stderr.write(f"puncta rules: invalid input: {exc}\n")
        return 2
    return 0

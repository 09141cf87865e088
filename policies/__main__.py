"""Command line: `python -m policies evaluate | presets | explain`.

Decisions go to stdout as JSON; any error is one line on stderr naming the
field, with a non-zero exit (1 for bad input, 2 for bad usage).
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from typing import IO, Any, NoReturn

from policies.evaluator import evaluate
from policies.exceptions import InvalidRequest, PolicyError, UnknownPreset
from policies.explain import explain
from policies.loader import load_policy, load_preset, preset_names
from policies.request import parse_request
from policies.schema import Policy

EXIT_INPUT = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """The command line itself is wrong."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse would print the whole usage; the contract wants one line.
        raise UsageError(message)


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m policies", description=__doc__)
    commands = parser.add_subparsers(dest="command", metavar="{evaluate,presets,explain}")

    evaluate_cmd = commands.add_parser("evaluate", help="evaluate a return request")
    source = evaluate_cmd.add_mutually_exclusive_group(required=True)
    source.add_argument("--preset", help="a preset name (see `presets`)")
    source.add_argument("--policy", help="a policy YAML file, or - for stdin")
    evaluate_cmd.add_argument(
        "--request", required=True, help="a request JSON file, or - for stdin"
    )

    commands.add_parser("presets", help="list the presets, one per line")

    explain_cmd = commands.add_parser("explain", help="print a policy in plain English")
    explain_source = explain_cmd.add_mutually_exclusive_group(required=True)
    explain_source.add_argument("--preset", help="a preset name")
    explain_source.add_argument("--policy", help="a policy YAML file, or - for stdin")
    return parser


def _read(path: str, option: str, stdin: IO[str]) -> str:
    if path == "-":
        return stdin.read()
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise PolicyError(option, f"cannot read {path!r}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise PolicyError(option, f"{path!r} is not UTF-8 text") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _parse_json(text: str) -> Any:
    try:
        # Decimal, not float: money must stay exact (and must arrive as strings anyway).
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InvalidRequest(
            "request", f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except ValueError as exc:
        raise InvalidRequest("request", f"malformed JSON: {exc}") from None


def _policy(args: argparse.Namespace, stdin: IO[str]) -> Policy:
    if args.preset is not None:
        try:
            return load_preset(args.preset)
        except UnknownPreset as exc:
            raise UnknownPreset("--preset", exc.message) from None
    return load_policy(_read(args.policy, "--policy", stdin))


def _run(args: argparse.Namespace, stdin: IO[str], stdout: IO[str]) -> None:
    if args.command == "presets":
        names = preset_names()
        width = max(len(name) for name in names)
        for name in names:
            summary = load_preset(name).summary or load_preset(name).display_name
            stdout.write(f"{name.ljust(width)}  {summary}\n")
        return
    if args.command == "explain":
        stdout.write(explain(_policy(args, stdin)))
        return
    if args.policy == "-" and args.request == "-":
        raise UsageError("--policy and --request cannot both read stdin")
    policy = _policy(args, stdin)
    request = parse_request(_parse_json(_read(args.request, "--request", stdin)))
    decision = evaluate(policy, request)
    json.dump(decision.to_json_dict(), stdout, indent=2, ensure_ascii=False)
    stdout.write("\n")


def main(
    argv: list[str] | None = None,
    stdin: IO[str] | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Run the command line; returns the exit status."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            raise UsageError("choose a command: evaluate, presets or explain")
        _run(args, stdin, stdout)
    except UsageError as exc:
        stderr.write(f"error: {exc}\n")
        return EXIT_USAGE
    except PolicyError as exc:
        stderr.write(f"error: {exc}\n")
        return EXIT_INPUT
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`yibao <command> -h` explains every option in Chinese: a clerk reading the help never meets a bare
`--region REGION`."""
from __future__ import annotations

import argparse
import re

from processor.cli import build_parser

_CJK = re.compile(r"[\u4e00-\u9fff]")


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_every_option_of_every_command_has_chinese_help():
    parser = build_parser()
    commands = {"yibao": parser, **_subparsers(parser)}
    assert {"fill", "reconcile", "monitor", "costcheck", "enrol", "compare", "explain"} <= set(commands)
    missing = []
    for name, sub in commands.items():
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            if not action.help or not _CJK.search(action.help):
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
    assert missing == []


def test_region_help_names_every_region_in_the_policy_book():
    from processor.book import default_book
    from processor.cli import REGION_HELP
    for region in default_book().regions:
        assert region in REGION_HELP

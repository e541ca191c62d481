"""The one argparse parser of benchit's commands: an error is one line (no usage dump) and exit code 2."""

from __future__ import annotations

import argparse
import difflib


class UsageError(Exception):
    """A bad command line; the message is the line after `benchit ...: error: `."""


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        if message.startswith("unrecognized arguments:"):
            flag = message.split(":", 1)[1].split()[0]
            message = f"unknown flag {flag}{flag_suggestion(flag, self)}"
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def flag_suggestion(flag: str, parser: argparse.ArgumentParser) -> str:
    """" (did you mean --device?)" for a near miss of one of the parser's flags."""
    known = [option for action in parser._actions for option in action.option_strings if option.startswith("--")]
    close = difflib.get_close_matches(flag.split("=", 1)[0], known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""

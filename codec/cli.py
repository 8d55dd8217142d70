"""Argument types shared by the command lines: a bad count or size is an argparse error naming the option, not an
exception from deep inside a run (a modulo by zero at the first save, an empty DataLoader, an untrained model saved
as final)."""
from __future__ import annotations

import argparse
import sys


def positive_int(text: str) -> int:
    value = int(text)  # argparse reports a ValueError as "invalid positive_int value"
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value}: must be at least 1")
    return value


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value}: must be 0 or more")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text}: must be a finite number above 0")
    return value


def non_negative_float(text: str) -> float:
    value = float(text)
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text}: must be a finite number, 0 or more")
    return value


def fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text}: must be between 0 and 1")
    return value


def clip_norm(text: str) -> float:
    """A gradient-clipping bound. clip_grad_norm_ scales every gradient by min(1, bound / norm): a bound of 0 zeroes
    them all (nothing trains but the weight decay) and a negative one flips their sign (gradient ascent), so both
    are refused; inf is a valid "no clipping"."""
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text}: must be above 0 (inf: no clipping)")
    return value


def run_main(main, errors: tuple[type[BaseException], ...]) -> None:
    """Run a command line's `main()` and exit with its status; one of `errors` (whose messages name the file or
    setting and the reason) ends it with one `error: ...` line and status 2 instead of a traceback."""
    try:
        status = main()
    except errors as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    sys.exit(status)

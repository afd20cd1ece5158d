"""``python -m mobile --server URL``: start the tablet app on a desktop or a device."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line of the app."""
    parser = argparse.ArgumentParser(prog="python -m mobile", description="Reprise tablet app")
    parser.add_argument("--server", default=None,
                        help="server address, e.g. http://127.0.0.1:5000 (kept once set)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="where the local database lives (default: the app's user folder)")
    parser.add_argument("--quit-after-start", action="store_true",
                        help="quit once the first screen is drawn (start-time measurement)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Start the app."""
    args = parse_args(argv)
    # Kivy reads sys.argv on import unless told not to: our options are not its own.
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from mobile.app import RepriseApp

    RepriseApp(data_dir=args.data_dir, server_url=args.server,
               quit_after_start=args.quit_after_start).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""python-for-android hook named by buildozer.spec: the app's ``main.py`` on Android.

python-for-android starts ``main.py`` at the root of the packaged sources.
The sources are the repository's ``mobile/`` and ``shared/`` packages (the
app imports both), so the entry point is written there at build time instead
of living at the top of the repository.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ENTRY_POINT = '''"""Reprise tablet app (written by mobile/android_hooks.py at build time)."""
import sys

from mobile.__main__ import main

sys.exit(main([]))
'''


def before_apk_build(toolchain: Any) -> None:
    """Write ``main.py`` into the app's private sources before they are packaged."""
    Path(toolchain.args.private, "main.py").write_text(ENTRY_POINT, encoding="utf-8")

"""Build hook: a wheel carries compiled catalogues and the migrations.

The ``.mo`` catalogues are build products (git-ignored): ``build_py`` compiles
every ``.po`` of the server and of the tablet app with Babel into the build
tree, so that ``pip install .`` serves French pages. The Alembic migrations
live beside the packages in a checkout; the wheel carries a copy inside
``server/`` (``server.migrations_directory`` finds either).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
CATALOGUES = ("server/translations", "mobile/locale")


class BuildWithCatalogues(build_py):
    """build_py, then compile the catalogues and copy the migrations into the build tree."""

    def run(self) -> None:
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for folder in CATALOGUES:
            for po in sorted((ROOT / folder).glob("*/LC_MESSAGES/*.po")):
                target = Path(self.build_lib) / po.relative_to(ROOT).with_suffix(".mo")
                target.parent.mkdir(parents=True, exist_ok=True)
                with po.open("rb") as source:
                    catalogue = read_po(source, locale=po.parts[-3])
                with target.open("wb") as out:
                    write_mo(out, catalogue, use_fuzzy=True)
        migrations = Path(self.build_lib) / "server" / "migrations"
        shutil.rmtree(migrations, ignore_errors=True)
        shutil.copytree(ROOT / "migrations", migrations,
                        ignore=shutil.ignore_patterns("__pycache__"))


setup(cmdclass={"build_py": BuildWithCatalogues})

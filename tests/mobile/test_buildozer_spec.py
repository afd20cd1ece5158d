"""The Android package description: what buildozer will read (no Android SDK here)."""

from __future__ import annotations

import configparser
import re
import tomllib
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).parents[2]
SPEC = ROOT / "mobile" / "buildozer.spec"


def _app() -> configparser.SectionProxy:
    spec = configparser.ConfigParser(interpolation=None)
    spec.read(SPEC)
    return spec["app"]


def _path(value: str) -> Path:
    return (SPEC.parent / value.replace("%(source.dir)s", _app()["source.dir"])).resolve()


def test_camera_and_bluetooth_permissions_old_and_new_are_declared():
    permissions = {p.strip() for p in _app()["android.permissions"].split(", ")}
    assert {"INTERNET", "CAMERA", "BLUETOOTH_SCAN", "BLUETOOTH_CONNECT"} <= permissions
    for legacy in ("BLUETOOTH", "BLUETOOTH_ADMIN", "ACCESS_FINE_LOCATION"):
        assert f"(name=android.permission.{legacy};maxSdkVersion=30)" in permissions


def test_the_version_is_read_from_the_project():
    app = _app()
    assert "version" not in app
    text = _path(app["version.filename"]).read_text()
    found = re.search(app["version.regex"], text, re.M)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert found and found.group(1) == project


def test_icon_and_presplash_exist_as_square_pngs():
    app = _app()
    with Image.open(_path(app["icon.filename"])) as icon:
        assert icon.format == "PNG" and icon.size == (512, 512)
    with Image.open(_path(app["presplash.filename"])) as presplash:
        assert presplash.format == "PNG"
    assert app["orientation"] == "landscape,portrait"

"""The deployment as shipped: the systemd units run for real, and the wheel serves French pages.

There is no systemd (PID 1) here: the unit test reads each unit file and runs
what systemd would run, ExecStartPre then ExecStart, in its WorkingDirectory
with its Environment= and an EnvironmentFile (which overrides them, as in
systemd), then stops it with SIGTERM as systemd does. The install paths
(/opt/reprise/venv, /var/lib/reprise, /etc/reprise) are mapped to this
checkout's virtualenv and temporary folders. User=, the sandboxing options and
Restart= are systemd's own and are not exercised.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import requests

from tests.server.processes import free_port, start, stop, wait_for

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
VENV = Path(sys.prefix)
pytestmark = pytest.mark.slow


def read_unit(path: Path) -> dict[str, list[str]]:
    """The [Service] section of a unit: each key with its values in order (keys may repeat)."""
    service: dict[str, list[str]] = {}
    section = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _sep, value = line.partition("=")
        if section == "Service":
            service.setdefault(key.strip(), []).append(value.strip())
    return service


def unit_environment(service: dict[str, list[str]], files: dict[str, Path]) -> dict[str, str]:
    """Environment= assignments, then EnvironmentFile= ones over them, as systemd does."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    for assignment in service.get("Environment", []):
        for word in shlex.split(assignment):
            key, _sep, value = word.partition("=")
            env[key] = value
    for name in service.get("EnvironmentFile", []):
        for line in files[name.lstrip("-")].read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                key, _sep, value = line.partition("=")
                env[key.strip()] = value.strip()
    return env


def installed(command: str) -> list[str]:
    """A unit's command line with the install prefix mapped to this virtualenv."""
    return [word.replace("/opt/reprise/venv", str(VENV)) for word in shlex.split(command)]


@pytest.fixture
def site(tmp_path: Path) -> dict[str, Path]:
    """The machine's folders: state directory and the environment file with its secrets."""
    state = tmp_path / "var-lib-reprise"
    state.mkdir()
    port = free_port()
    env_file = tmp_path / "reprise.env"
    env_file.write_text(
        f"DATABASE_URL=sqlite:///{tmp_path / 'site.sqlite'}\n"
        "SECRET_KEY=unit-test-secret-key-of-the-site\n"
        f"REPRISE_BIND=127.0.0.1:{port}\n"
        "WEB_CONCURRENCY=2\n"
        "REPRISE_THREADS=2\n")
    return {"state": state, "env": env_file, "port": Path(str(port))}


def test_the_units_name_what_the_deployment_guide_describes() -> None:
    web = read_unit(UNITS / "reprise-web.service")
    scheduler = read_unit(UNITS / "reprise-scheduler.service")

    assert web["ExecStart"] == ["/opt/reprise/venv/bin/reprise serve"]
    assert web["ExecStartPre"] == ["/opt/reprise/venv/bin/reprise db upgrade"]
    assert scheduler["ExecStart"] == ["/opt/reprise/venv/bin/reprise scheduler"]
    for service in (web, scheduler):
        assert service["EnvironmentFile"] == ["/etc/reprise/reprise.env"]
        # Secrets live in the environment file only.
        assert not any("SECRET_KEY" in e or "PASSWORD" in e for e in service["Environment"])


def test_the_web_and_scheduler_units_start_serve_and_stop(site: dict[str, Path],
                                                          tmp_path: Path) -> None:
    files = {"/etc/reprise/reprise.env": site["env"]}
    logs: dict[str, Path] = {}
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name in ("reprise-web", "reprise-scheduler"):
            service = read_unit(UNITS / f"{name}.service")
            env = unit_environment(service, files)
            cwd = Path(service["WorkingDirectory"][0].replace("/var/lib/reprise",
                                                              str(site["state"])))
            for command in service.get("ExecStartPre", []):
                subprocess.run(installed(command), env=env, cwd=cwd, check=True,
                               capture_output=True, timeout=120)
            logs[name] = tmp_path / f"{name}.log"
            processes[name] = start(installed(service["ExecStart"][0]), env, cwd, logs[name])
        base = f"http://127.0.0.1:{site['port']}"

        ready = wait_for(f"{base}/readyz", processes["reprise-web"])
        login = requests.get(f"{base}/login", timeout=10)

        assert ready.json()["status"] == "ready"
        assert login.status_code == 200 and "Mot de passe" in login.text
        deadline = time.monotonic() + 60
        while "catch-up" not in logs["reprise-scheduler"].read_text():
            assert processes["reprise-scheduler"].poll() is None, logs[
                "reprise-scheduler"].read_text()
            assert time.monotonic() < deadline, "the scheduler never caught up"
            time.sleep(0.3)
        assert processes["reprise-scheduler"].poll() is None
    finally:
        codes = {name: stop(process) for name, process in processes.items()}
    # SIGTERM is a clean stop for both (systemd would not count it as a failure).
    assert codes["reprise-web"] == 0, logs["reprise-web"].read_text()
    assert codes["reprise-scheduler"] in (0, -15, 143)
    web_log = logs["reprise-web"].read_text()
    assert '"path":"/readyz"' in web_log and '"path":"/login"' in web_log


def test_a_wheel_ships_compiled_catalogues_and_serves_french_pages(tmp_path: Path) -> None:
    # A copy of what git tracks: no .mo (they are git-ignored build products).
    source = tmp_path / "source"
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in listed.splitlines():
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            (source / name).write_bytes((ROOT / name).read_bytes())
    assert not list(source.rglob("*.mo"))
    wheels = tmp_path / "wheels"

    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "-w", str(wheels), str(source)], check=True, capture_output=True,
                   timeout=300)

    wheel = next(wheels.glob("reprise-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "server/translations/fr/LC_MESSAGES/messages.mo" in names
    assert "mobile/locale/fr/LC_MESSAGES/reprise_mobile.mo" in names
    assert "server/migrations/env.py" in names
    # The wheel's own code, not this checkout's, serves a log-in page in French.
    site_packages = tmp_path / "site-packages"
    zipfile.ZipFile(wheel).extractall(site_packages)
    probe = (
        "import server, sys\n"
        "from server import create_app\n"
        "app = create_app({'SQLALCHEMY_DATABASE_URI': 'sqlite://', 'SECRET_KEY': 'x'})\n"
        "page = app.test_client().get('/login', headers={'Accept-Language': 'fr'})\n"
        "print(server.__file__)\n"
        "print(app.extensions['migrate'].directory)\n"
        "print(page.get_data(as_text=True))\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=120, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(site_packages)}).stdout
    module, migrations, page = out.split("\n", 2)
    assert module.startswith(str(site_packages))
    assert migrations.startswith(str(site_packages))
    assert "Mot de passe" in page and "Password" not in page

"""Import a session from a file (FIT, TCX, CSV) written by a bike computer or a watch."""

from __future__ import annotations

import threading
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from mobile.i18n import _
from mobile.importers import FileImportError, ImportedSession, import_file
from mobile.store import SESSION
from shared.timeline import PARIS


def start_folder() -> str:
    """Where downloaded files are: Android's Download folder, else the home folder."""
    for candidate in (Path("/sdcard/Download"), Path.home() / "Downloads", Path.home()):
        if candidate.is_dir():
            return str(candidate)
    return "/"


class ImportScreen(Screen):
    """Pick a file; it is read on a thread and saved like any other session."""

    message = StringProperty("")
    busy = BooleanProperty(False)

    def on_pre_enter(self, *_args: object) -> None:
        self.message = ""
        if not self.ids.chooser.path or self.ids.chooser.path == "/":
            self.ids.chooser.path = start_folder()

    def import_selected(self) -> None:
        """Read the chosen file and keep its session."""
        if not self.ids.chooser.selection:
            self.message = _("Choose a file first.")
            return
        path = Path(self.ids.chooser.selection[0])
        self.busy = True
        self.message = _("Reading {name}...").format(name=path.name)

        def work() -> None:
            try:
                session, error = import_file(path), None
            except FileImportError as exc:
                session, error = None, str(exc)
            except OSError:
                session, error = None, _("This file cannot be read.")
            Clock.schedule_once(lambda _dt: self._imported(session, error))

        threading.Thread(target=work, name="reprise-import", daemon=True).start()

    def _imported(self, session: ImportedSession | None, error: str | None) -> None:
        self.busy = False
        if session is None:
            self.message = error or ""
            return
        app = App.get_running_app()
        app.save(SESSION, session.payload(), session.started_at.astimezone(PARIS).date())
        app.notice = _("Session of {minutes} minutes imported.").format(
            minutes=max(1, round(session.duration_s / 60)))
        app.go("home")

"""The Kivy application: the controller between the screens, the store and the sync engine.

Network calls never run on the UI thread: pairing runs on a short-lived
thread and the sync engine on its own; both come back through the Kivy
clock. Screens read what they show from here and call the methods below.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import DictProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import NoTransition, ScreenManager

from mobile import i18n, questionnaires
from mobile.api_client import ApiClient, ApiError, Refused, normalise_server_url
from mobile.i18n import _
from mobile.store import PENDING, QUESTIONNAIRE, REFUSED, SESSION, OutboxItem, Store
from mobile.summary import sync_text
from mobile.sync import Backoff, SyncEngine, SyncStatus, utc_now
from shared.timeline import PARIS

HERE = Path(__file__).parent
DEFAULT_SERVER = "http://127.0.0.1:5000"
FONT_SCALES = (1.0, 1.3, 1.6)
DEFAULT_FONT_SCALE = 1.3  # patients are often over 65: large by default


class RepriseApp(App):
    """The tablet app. ``clock`` (wall time) and ``monotonic`` (timers) are injectable."""

    title = "Reprise"
    font_scale = NumericProperty(DEFAULT_FONT_SCALE)
    language = StringProperty(i18n.DEFAULT_LANGUAGE)
    sync_message = StringProperty("")
    sync_state = StringProperty("")
    notice = StringProperty("")
    pending = DictProperty()
    refused = DictProperty()

    def __init__(self, data_dir: Path | None = None, server_url: str | None = None,
                 clock: Callable[[], datetime] = utc_now,
                 monotonic: Callable[[], float] = time.monotonic,
                 backoff: Backoff | None = None, poll_interval: float = 300.0,
                 quit_after_start: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_dir = data_dir
        self.initial_server = server_url
        self.clock = clock
        self.monotonic = monotonic
        self.backoff = backoff
        self.poll_interval = poll_interval
        self.quit_after_start = quit_after_start
        self.store: Store | None = None
        self.engine: SyncEngine | None = None
        self.editing: OutboxItem | None = None
        # A device's summary of the session just ridden, shown prefilled for the patient to save.
        self.recorded: dict[str, Any] | None = None

    # Life cycle -------------------------------------------------------------------

    def build(self) -> ScreenManager:
        """Open the store, load the layouts, choose the first screen."""
        data_dir = self.data_dir or Path(self.user_data_dir)
        self.store = Store(data_dir / "reprise.sqlite3")
        if self.initial_server:
            self.store.set("server_url", normalise_server_url(self.initial_server))
        elif not self.store.get("server_url"):
            self.store.set("server_url", DEFAULT_SERVER)
        self.language = i18n.set_language(self.store.get("language", i18n.DEFAULT_LANGUAGE)
                                          or i18n.DEFAULT_LANGUAGE)
        self.font_scale = float(self.store.get("font_scale", str(DEFAULT_FONT_SCALE)) or 1.3)
        Window.clearcolor = (0.97, 0.97, 0.95, 1)
        from mobile.screens import SCREENS  # the screens need the app's kv rules first

        layouts = [HERE / "widgets" / "style.kv", HERE / "widgets" / "controls.kv",
                   *sorted((HERE / "screens").glob("*.kv"))]
        for layout in layouts:
            # Unloaded first: a second app in the same process (tests) would apply every
            # rule twice and draw each widget twice.
            Builder.unload_file(str(layout))
            Builder.load_file(str(layout))
        # No animation: a screen that slides or fades is harder to follow for a tired patient.
        manager = ScreenManager(transition=NoTransition())
        for name, cls in SCREENS.items():
            manager.add_widget(cls(name=name))
        manager.current = "home" if self.store.token else "pairing"
        self.engine = SyncEngine(
            self.store, clock=self.clock, backoff=self.backoff or Backoff(),
            poll_interval=self.poll_interval,
            on_status=lambda s: Clock.schedule_once(lambda _dt: self._sync_status(s)),
            on_unpaired=lambda: Clock.schedule_once(lambda _dt: self._unpaired()),
            on_refreshed=lambda: Clock.schedule_once(lambda _dt: self.refresh()),
        )
        self._update_counts()
        return manager

    def on_start(self) -> None:
        """Start syncing in the background."""
        self.engine.start()
        if self.quit_after_start:
            # Two frames: the first screen has been laid out and drawn.
            Clock.schedule_once(lambda _dt: Clock.schedule_once(lambda _dt2: self.stop()), 0)

    def on_stop(self) -> None:
        """Stop the sync thread and close the database."""
        if self.engine is not None:
            self.engine.stop()
        if self.store is not None:
            self.store.close()

    # Helpers for the layouts -------------------------------------------------------

    def t(self, message: str, *_bound: Any) -> str:
        """Translate ``message``; kv passes ``app.language`` so texts follow a switch."""
        return _(message)

    def today(self) -> date:
        """The local calendar day."""
        return self.clock().astimezone(PARIS).date()

    def cached(self, key: str) -> Any:
        """The last plan, progress or messages fetched, or None."""
        found = self.store.cache_get(key) if self.store else None
        return found[0] if found else None

    def go(self, name: str) -> None:
        """Show another screen."""
        self.root.current = name

    def refresh(self) -> None:
        """Redraw the current screen from the store and cache."""
        self._update_counts()
        screen = self.root.current_screen if self.root else None
        if screen is not None and hasattr(screen, "refresh"):
            screen.refresh()

    # Pairing -------------------------------------------------------------------------

    def pair(self, code: str, server_text: str, done: Callable[[str | None], None]) -> None:
        """Exchange the code on a thread; ``done(None)`` on success, else a message."""
        try:
            server = normalise_server_url(server_text)
        except ValueError:
            done(_("Server address: it must start with http:// or https://, "
                   "for example http://192.168.1.10:5000."))
            return
        code = "".join(code.split()).upper()
        if len(code) < 4:
            done(_("Pairing code: type the code of 8 letters and numbers your referent gave "
                   "you."))
            return

        def work() -> None:
            client = ApiClient(server, language=self.language, timeout=15)
            try:
                answer = client.pair(code, "Reprise tablet")
            except Refused as exc:
                message = exc.message
            except ApiError:
                message = _("The server cannot be reached. Check the Internet connection "
                            "and the server address, then try again.")
            else:
                message = None
                self.store.set("server_url", server)
                self.store.pair(answer["token"], answer["patient_id"], answer["first_name"],
                                answer["programme_code"])
            finally:
                client.close()
            Clock.schedule_once(lambda _dt: self._paired(message, done))

        threading.Thread(target=work, name="reprise-pair", daemon=True).start()

    def _paired(self, message: str | None, done: Callable[[str | None], None]) -> None:
        done(message)
        if message is None:
            self.go("home")
            self.engine.wake()

    def _unpaired(self) -> None:
        self.notice = _("This tablet is no longer paired. Ask your referent for a new code: "
                        "what you logged is kept and will be sent.")
        self.go("pairing")

    def unpair(self) -> None:
        """Forget the pairing at the patient's request; unsent entries stay on the tablet."""
        self.store.unpair()
        self.notice = ""
        self.go("pairing")

    # Logging ---------------------------------------------------------------------------

    def save(self, kind: str, payload: dict[str, Any], day: date) -> None:
        """Write an entry locally (or its correction), then send it in the background."""
        if self.editing is not None and self.editing.kind == kind:
            self.store.correct(self.editing.id, payload, day)
        else:
            self.store.add(kind, payload, day, self.clock())
        self.editing = None
        self._update_counts()
        self.engine.wake()

    def log_recorded_session(self, summary: dict[str, Any]) -> None:
        """Open the session screen prefilled from what a device recorded.

        ``summary`` holds session-form names: ``duration_s`` (or
        ``duration_min``), ``watts``, ``resistance``, ``distance_km``,
        ``hr_rest``, ``hr_mean``, ``hr_max``; missing ones are left as usual.
        The patient adds how it felt and saves; the session is stored with
        the source "device".
        """
        self.recorded = dict(summary)
        self.go("manual")

    def sync_now(self) -> None:
        """Try to send at once (the "Send now" button)."""
        self.engine.wake()

    def mark_read(self, notification_id: int) -> None:
        """Mark a message read, now or at the next sync."""
        self.store.queue_read_mark(notification_id)
        page = self.cached("notifications")
        if page:
            for item in page["items"]:
                if item["id"] == notification_id and not item["read"]:
                    item["read"] = True
                    page["unread"] = max(0, page["unread"] - 1)
            self.store.cache_put("notifications", page, self.clock())
        self.engine.wake()
        self.refresh()

    # Settings --------------------------------------------------------------------------

    def set_language(self, language: str) -> None:
        """Switch language now and keep it."""
        self.language = i18n.set_language(language)
        self.store.set("language", self.language)
        self._update_counts()
        self.refresh()

    def set_font_scale(self, scale: float) -> None:
        """Change the text size everywhere and keep it."""
        self.font_scale = scale
        self.store.set("font_scale", str(scale))

    def set_server(self, text: str) -> str | None:
        """Keep a new server address; a message when it is not one."""
        try:
            self.store.set("server_url", normalise_server_url(text))
        except ValueError:
            return _("Server address: it must start with http:// or https://, "
                     "for example http://192.168.1.10:5000.")
        self.engine.wake()
        return None

    # Sync state ------------------------------------------------------------------------

    def _update_counts(self) -> None:
        counts = self.store.counts()
        self.pending, self.refused = counts[PENDING], counts[REFUSED]
        self.sync_message = sync_text(self.pending, self.refused, self.sync_state)

    def _sync_status(self, status: SyncStatus) -> None:
        self.sync_state = status.state
        self._update_counts()
        screen = self.root.current_screen if self.root else None
        if screen is not None and screen.name == "home":
            screen.refresh()

    def due_questionnaires(self) -> list[dict[str, Any]]:
        """Instruments due now and not answered yet on this tablet (works offline)."""
        return questionnaires.due(self.cached("plan"), self.store.items(QUESTIONNAIRE))

    def pending_sessions(self) -> int:
        """Sessions not yet on the server."""
        return self.pending.get(SESSION, 0)

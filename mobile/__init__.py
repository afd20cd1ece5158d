"""Reprise tablet app: offline-first logging for patients at home.

The store (:mod:`mobile.store`), the sync engine (:mod:`mobile.sync`), the
API client (:mod:`mobile.api_client`) and the screen logic helpers
(:mod:`mobile.forms`, :mod:`mobile.guided`, :mod:`mobile.summary`) are plain
Python with no Kivy import; only :mod:`mobile.app`, :mod:`mobile.screens` and
:mod:`mobile.widgets` touch Kivy.
"""

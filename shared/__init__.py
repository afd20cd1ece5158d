"""Pure domain code shared by the server and the tablet app.

Nothing in this package imports Flask, Kivy or SQLAlchemy: programme
templates, the timeline engine, the enrolment state machine, valid ranges and
the weekly progress arithmetic are plain Python, so both sides apply the very
same rules.
"""

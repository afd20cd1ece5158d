"""The ``reprise`` command: Flask's CLI with the app, plus user and demo-data commands."""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import date, datetime

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from server.clock import FixedClock, get_clock
from server.services.errors import ServiceError
from server.services.jobs import DAILY_JOBS
from server.services.messages import flatten_errors
from server.services.users import create_user
from shared.enums import Role

SWEEP_TIME = next(job.at for job in DAILY_JOBS if job.name == "sweep")


@click.group("user")
def user_group() -> None:
    """Manage staff accounts."""


@user_group.command("create")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role if r != Role.PATIENT]),
              required=True)
@click.option("--password", envvar="REPRISE_PASSWORD", prompt=True, hide_input=True,
              confirmation_prompt=True, help="Prompted for when not given (or REPRISE_PASSWORD).")
@with_appcontext
def user_create(email: str, full_name: str, role: str, password: str) -> None:
    """Create a staff account with an argon2id password hash."""
    try:
        user = create_user(email=email, full_name=full_name, role=Role(role), password=password)
    except ServiceError as exc:
        details = "; ".join(flatten_errors(exc.errors or {}))
        raise click.ClickException(f"{exc.message} {details}".strip()) from None
    click.echo(f"created {user.role.value} {user.email} (id {user.id})")


@click.command("demo-data")
@click.option("--patients", default=48, show_default=True, help="Size of the cohort.")
@click.option("--seed", default=7, show_default=True)
@click.option("--reset/--no-reset", default=False, help="Delete every row first.")
@click.option("--allow-any-database", is_flag=True,
              help="Write into a database other than the demo's (DATABASE_URL set); its "
                   "staff accounts get a password drawn for this run, printed once.")
@with_appcontext
def demo_data(patients: int, seed: int, reset: bool, allow_any_database: bool) -> None:
    """Build a realistic synthetic cohort and print the logins."""
    from synthetic.demo import build_demo_cohort
    from synthetic.target import TargetRefused

    try:
        summary = build_demo_cohort(patients=patients, seed=seed, reset=reset,
                                    today=get_clock().today(),
                                    allow_any_database=allow_any_database)
    except (TargetRefused, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(summary, indent=2, default=str))


@click.command("sweep")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Run as the 06:00 sweep of this day (default: today).")
@click.option("--full", is_flag=True,
              help="Judge every running enrolment, not only what changed since the last sweep.")
@with_appcontext
def sweep_command(as_of: datetime | None, full: bool) -> None:
    """Run the rupture and safety rules over the whole active file; print a JSON summary."""
    from server.services.sweep import sweep

    if as_of is not None:
        tz = str(get_clock().tz)
        current_app.extensions["reprise.clock"] = FixedClock.on_day(as_of.date(), tz,
                                                                    SWEEP_TIME)
    click.echo(json.dumps(sweep(get_clock().today(), full=full).as_dict(), indent=2))


@click.command("scheduler")
@click.option("--catch-up/--no-catch-up", default=True,
              help="Run, once, the daily jobs missed while nothing was running.")
@click.option("--deliver-every", "deliver_every", type=click.IntRange(min=1), default=30,
              show_default=True, help="Seconds between two runs of the outbox delivery.")
def scheduler_command(catch_up: bool, deliver_every: int) -> None:
    """Run the daily jobs (sweep 06:00, digest 07:00, reminders 17:00) and the outbox."""
    from server.scheduler import run_scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    run_scheduler(current_app._get_current_object(), catch_up,  # type: ignore[attr-defined]
                  deliver_every)


@click.command("serve")
@click.option("--bind", default=None, help="host:port (several joined by commas); "
              "default REPRISE_BIND or 127.0.0.1:5000.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes; default WEB_CONCURRENCY or 2.")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="Threads per worker; default REPRISE_THREADS or 4.")
@click.option("--timeout", type=click.IntRange(min=1), default=None,
              help="Seconds before a stuck worker is restarted; default REPRISE_TIMEOUT or 30.")
def serve_command(bind: str | None, workers: int | None, threads: int | None,
                  timeout: int | None) -> None:
    """Serve the web pages and the API under gunicorn (the production server)."""
    from dataclasses import replace

    from server.serving import ServeOptions, serve

    defaults = ServeOptions.from_env()
    given = {"bind": bind, "workers": workers, "threads": threads, "timeout": timeout}
    options = replace(defaults, **{k: v for k, v in given.items() if v is not None})
    serve(current_app._get_current_object(), options)  # type: ignore[attr-defined]


def init_app(app: Flask) -> None:
    """Attach the commands to the app's CLI."""
    app.cli.add_command(user_group)
    app.cli.add_command(demo_data)
    app.cli.add_command(sweep_command)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(serve_command)


def _create_app() -> Flask:
    from server import create_app

    return create_app()


def main() -> None:
    """Entry point of the ``reprise`` console script."""
    # `reprise --as-of 2026-03-01 ...` pins the clock for the whole command.
    args = sys.argv[1:]
    if len(args) >= 2 and args[0] == "--as-of":
        date.fromisoformat(args[1])
        os.environ["REPRISE_AS_OF"] = args[1]
        sys.argv = [sys.argv[0], *args[2:]]
    cli = FlaskGroup(create_app=_create_app, help="Reprise server commands.")
    cli.main(prog_name="reprise")


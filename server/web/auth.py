"""Log in (password, then TOTP when enrolled), log out, second-factor enrolment, language."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for

from server.services import auth as auth_service
from server.services import totp as totp_service
from server.services import users
from server.services.errors import ServiceError, Unauthorized
from server.web.forms import LanguageForm, LoginForm, TotpEnrolForm, TotpForm, apply_service_errors
from server.web.session import current_user, home_endpoint, safe_next

bp = Blueprint("auth", __name__)


def _start_session(token: auth_service.IssuedToken, next_url: str | None) -> Any:
    # A fresh session on log-in: nothing from before (fixation) survives. The cookie
    # holds the session token's row id only: its raw value, an API credential, stays here.
    session.clear()
    session["sid"] = token.record.id
    session.permanent = True
    return redirect(safe_next(next_url) or url_for("web.home"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The e-mail and password step."""
    form = LoginForm(next=request.args.get("next"))
    if form.validate_on_submit():
        try:
            step = totp_service.password_step(form.email.data, form.password.data,
                                              request.remote_addr)
        except Unauthorized as exc:
            form.password.errors = [exc.message]
        else:
            if step.needs_totp:
                session.clear()
                session["pending_user"] = step.user_id
                session["pending_next"] = form.next.data
                return redirect(url_for(".totp"))
            return _start_session(step.token, form.next.data)
    return render_template("web/login.html", form=form), 400 if form.errors else 200


@bp.route("/login/code", methods=["GET", "POST"])
def totp() -> Any:
    """The second step for accounts with TOTP enrolled."""
    user_id = session.get("pending_user")
    if user_id is None:
        return redirect(url_for(".login"))
    form = TotpForm()
    if form.validate_on_submit():
        try:
            token = totp_service.totp_step(user_id, form.code.data, request.remote_addr)
        except Unauthorized as exc:
            session.clear()
            login_form = LoginForm()
            login_form.password.errors = [exc.message]
            return render_template("web/login.html", form=login_form), 401
        except ServiceError as exc:
            apply_service_errors(form, exc)
        else:
            return _start_session(token, session.get("pending_next"))
    return render_template("web/totp.html", form=form), 400 if form.errors else 200


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    """End the session: its token is revoked, the cookie emptied."""
    auth_service.revoke(g.token)
    session.clear()
    return redirect(url_for(".login"))


@bp.route("/account/second-factor", methods=["GET", "POST"])
def second_factor() -> Any:
    """Turn TOTP on (scan, then prove with a first code) or off (with a current code)."""
    user = current_user()
    form = TotpEnrolForm()
    if form.validate_on_submit():
        try:
            if user.totp_secret:
                totp_service.disable(user, form.code.data)
            else:
                totp_service.enable(user, form.password.data or "", form.code.data)
        except ServiceError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect(url_for(".second_factor"))
    # The secret is drawn once and kept on the server: a failed attempt keeps the one scanned.
    secret = None if user.totp_secret else totp_service.pending_secret(user)
    return render_template(
        "web/second_factor.html", form=form, secret=secret,
        uri=totp_service.provisioning_uri(user, secret) if secret else None,
    ), 400 if form.errors else 200


@bp.route("/language", methods=["POST"])
def language() -> Any:
    """Switch the interface language (saved on the account when logged in)."""
    form = LanguageForm()
    lang = form.lang.data if form.validate_on_submit() else None
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if g.user is not None:
            users.set_locale(g.user, lang)
    return redirect(safe_next(form.next.data) or url_for(home_endpoint(g.user)))


@bp.app_template_global()
def language_form() -> LanguageForm:
    """The header's language switch, available to every template."""
    return LanguageForm(next=request.full_path, formdata=None)

"""One small class per kind of channel behind one interface: ``send(alert, target, settings)``.

``target`` is what the channel names: the webhook's URL, the email's recipients, the Apprise URL.
A transport either delivers or raises :class:`DeliveryError` with a short reason a user can act on
("HTTP 500", "connection refused", "authentication failed (535)"). Reasons are built from what went
wrong, never from library messages as they are: those can carry the URL (its tokens are secrets)
and are never allowed to carry the SMTP password. Adding a kind means adding a class here and
naming it in :data:`TRANSPORTS`.
"""

from __future__ import annotations

import errno
import logging
import re
import smtplib
import socket
import ssl
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Protocol

import requests
from flask import Flask
from flask_mail import Connection, Mail
from flask_mail import Message as MailMessage

from shared.alerts import message
from shared.alerts.message import Alert

WEBHOOK_TIMEOUT = 10.0
SMTP_TIMEOUT = 30.0
SMTPS_PORT = 465
USER_AGENT = "OnlineTracker alerts"


log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A channel could not deliver; ``str()`` is the readable reason, safe to store and show."""


class Transport(Protocol):
    kind: str

    def ready(self, settings) -> str | None:
        """Why this kind can't send with these settings (email without an SMTP server), or None."""

    def send(self, alert: Alert, target: str, settings, public_url: str | None = None) -> None: ...


def _causes(exc: BaseException):
    """``exc`` and everything it wraps (urllib3 and requests nest the socket error deeply)."""
    seen, todo = set(), [exc]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [current.__cause__, current.__context__, getattr(current, "reason", None)]
        todo += [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]


def network_reason(exc: BaseException, timeout: float) -> str | None:
    """The socket-level reason behind ``exc``, or None when there is none."""
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS certificate not trusted: {cause.verify_message}"
        if isinstance(cause, ssl.SSLError):
            return "TLS handshake failed"
        if isinstance(cause, socket.gaierror):
            return "DNS lookup failed"
        if isinstance(cause, ConnectionRefusedError) or getattr(cause, "errno", None) == errno.ECONNREFUSED:
            return "connection refused"
        if isinstance(cause, ConnectionResetError):
            return "connection reset"
        if isinstance(cause, TimeoutError | socket.timeout):
            return f"timed out after {timeout:g} s"
    return None


class Webhook:
    """POST the API.md JSON; any 2xx is delivered. Redirects are not followed (a redirected POST
    becomes a GET and would be reported delivered without reaching anyone)."""

    kind = "webhook"

    def ready(self, settings) -> str | None:
        return None

    def send(self, alert: Alert, target: str, settings=None, public_url: str | None = None) -> None:
        try:
            with requests.post(
                target,
                json=message.webhook_payload(alert),
                headers={"User-Agent": USER_AGENT},
                timeout=WEBHOOK_TIMEOUT,
                allow_redirects=False,
                stream=True,  # the status is enough; don't read whatever body comes back
            ) as response:
                status = response.status_code
        except requests.Timeout:
            raise DeliveryError(f"timed out after {WEBHOOK_TIMEOUT:g} s") from None
        except requests.RequestException as exc:
            raise DeliveryError(network_reason(exc, WEBHOOK_TIMEOUT) or "could not connect") from None
        if not 200 <= status < 300:
            raise DeliveryError(f"HTTP {status}")


def _tls_context() -> ssl.SSLContext:
    """Verify the mail server like the checks verify monitored hosts: the SMTP password must not go
    to whoever answers. A private CA is trusted through ``ONLINETRACKER_CA_BUNDLE``."""
    from shared.checks import ca_bundle

    return ssl.create_default_context(cafile=ca_bundle())


class _SmtpConnection(Connection):
    """Flask-Mail's connection with what it lacks: timeouts, a verified STARTTLS, and no error
    from closing the connection after the server already accepted the message."""

    def configure_host(self) -> smtplib.SMTP:
        mail = self.mail
        context = _tls_context()
        if mail.use_ssl:
            host = smtplib.SMTP_SSL(mail.server, mail.port, timeout=SMTP_TIMEOUT, context=context)
        else:
            host = smtplib.SMTP(mail.server, mail.port, timeout=SMTP_TIMEOUT)
        try:
            if mail.use_tls:
                host.starttls(context=context)
            if mail.username and mail.password:
                host.login(mail.username, mail.password)
        except BaseException:
            host.close()
            raise
        return host

    def __exit__(self, exc_type, exc_value, tb) -> None:
        if self.host is None:
            return
        try:
            self.host.quit() if exc_type is None else self.host.close()
        except (smtplib.SMTPException, OSError):
            self.host.close()


def smtp_reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"authentication failed ({exc.smtp_code})"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return _text(exc)  # e.g. "STARTTLS extension not supported by server."
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = ", ".join(f"{code} {_text(msg)}" for code, msg in exc.recipients.values())
        return f"recipient refused: {codes}"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"sender refused: {exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"SMTP {exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "server closed the connection"
    reason = network_reason(exc, SMTP_TIMEOUT)
    if reason:
        return reason
    if isinstance(exc, OSError):
        return f"could not connect ({exc.strerror or type(exc).__name__})"
    return type(exc).__name__


def _text(value) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return message.one_line(text)[:200]


class Email:
    """An email through the SMTP server of Settings > Alerts, with Flask-Mail building and sending it.

    ``smtp_use_tls`` is STARTTLS as the README says; on port 465, where servers expect TLS from the
    first byte (SMTPS) and STARTTLS can't work, it means implicit TLS instead.
    """

    kind = "email"
    #: The settings secrets it needs (an unreadable one fails this kind only).
    secrets: tuple[str, ...] = ("smtp_password",)

    def ready(self, settings) -> str | None:
        return None if settings.smtp_host else "no SMTP server: set one in Settings > Alerts"

    def send(self, alert: Alert, target: str, settings, public_url: str | None = None) -> None:
        from shared.channels import split_recipients

        sender = settings.smtp_from or settings.smtp_username
        if not sender:
            raise DeliveryError("no sender: set a From address or an SMTP username")
        implicit_tls = settings.smtp_use_tls and settings.smtp_port == SMTPS_PORT
        # Flask-Mail reads its settings from an app; a throwaway one per send keeps settings changes
        # effective at once and threads with different settings apart.
        app = Flask(__name__)
        app.config.update(
            MAIL_SERVER=settings.smtp_host,
            MAIL_PORT=settings.smtp_port,
            MAIL_USE_TLS=settings.smtp_use_tls and not implicit_tls,
            MAIL_USE_SSL=implicit_tls,
            MAIL_USERNAME=settings.smtp_username or None,
            MAIL_PASSWORD=settings.smtp_password or None,
            MAIL_DEFAULT_SENDER=sender,
            MAIL_SUPPRESS_SEND=False,
        )
        mail = Mail(app)
        with app.app_context():
            mail_message = MailMessage(
                subject=message.subject(alert),
                recipients=split_recipients(target),
                body=message.text_body(alert, public_url),
                html=message.html_body(alert, public_url),
                sender=sender,
            )
            try:
                with _SmtpConnection(mail.state) as connection:
                    connection.send(mail_message)
            except (smtplib.SMTPException, OSError) as exc:
                raise DeliveryError(smtp_reason(exc)) from None


APPRISE_TIMEOUT = 30.0
#: Apprise sends run here, so a service that hangs past its own timeouts costs a thread, not the
#: alert worker: the caller stops waiting after :data:`APPRISE_TIMEOUT`.
_APPRISE_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="apprise")


class _ThreadErrors(logging.Filter):
    """Apprise says why a send failed only in its log; this keeps the warnings of one thread's send.

    It is a filter on Apprise's logger, so it also takes the URL's secrets out of every line that
    thread logs before any handler (the worker's log included) sees it: a plugin may name its
    token, as ntfy names the topic in "Failed to send ntfy notification to topic '…'".
    """

    def __init__(self, url: str):
        super().__init__()
        self.thread = threading.get_ident()
        self.url = url
        self.lines: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.thread == self.thread:
            record.msg, record.args = _without_secrets(record.getMessage(), self.url), ()
            if record.levelno >= logging.WARNING:
                self.lines.append(record.msg)
        return True


def _without_secrets(text: str, url: str) -> str:
    """``text`` with every part of ``url`` that the masked form hides replaced by ``****``."""
    from shared.channels import MASK, mask_url

    shown = mask_url(url)
    for piece in sorted(set(re.split(r"[/:@?&=#,]+", url)), key=len, reverse=True):
        if len(piece) >= 3 and piece not in shown:
            text = text.replace(piece, MASK)
    return text


class AppriseChannel:
    """Any service Apprise knows, with the Markdown text (Apprise renders it per service)."""

    kind = "apprise"

    def ready(self, settings) -> str | None:
        return None

    def send(self, alert: Alert, target: str, settings=None, public_url: str | None = None) -> None:
        title = message.notification_title(alert)
        body = message.notification_body(alert, public_url)
        future = _APPRISE_POOL.submit(self._notify, target, title, body)
        try:
            accepted, lines = future.result(timeout=APPRISE_TIMEOUT)
        except FutureTimeout:
            raise DeliveryError(f"timed out after {APPRISE_TIMEOUT:g} s") from None
        if not accepted:
            reason = message.one_line(lines[-1] if lines else "the service did not accept it")
            raise DeliveryError(_without_secrets(reason, target)[:300])

    @staticmethod
    def _notify(url: str, title: str, body: str) -> tuple[bool, list[str]]:
        import apprise

        errors = _ThreadErrors(url)
        logger = logging.getLogger("apprise")
        logger.addFilter(errors)
        try:
            notifier = apprise.Apprise()
            if not notifier.add(url):
                return False, ["the Apprise URL can't be used"]
            accepted = notifier.notify(title=title, body=body, body_format=apprise.NotifyFormat.MARKDOWN)
            return bool(accepted), errors.lines
        except Exception as exc:  # noqa: BLE001 - a plugin's bug is this channel's failure only
            return False, [f"internal error ({type(exc).__name__})"]
        finally:
            logger.removeFilter(errors)


def attempt(
    transport: Transport, alert: Alert, target: str, settings, public_url: str | None = None
) -> str | None:
    """Send; None when delivered, else the reason to store and show. A bug in a transport is a
    reason too ("internal error (…)", logged with its traceback), so it fails that channel only:
    retried by the outbox, answered by a test, never a 500 nor the end of a sweep."""
    try:
        transport.send(alert, target, settings, public_url)
    except DeliveryError as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - see above
        log.exception("%s send failed unexpectedly", transport.kind)
        return f"internal error ({type(exc).__name__})"
    return None


TRANSPORTS: dict[str, Transport] = {"webhook": Webhook(), "email": Email(), "apprise": AppriseChannel()}

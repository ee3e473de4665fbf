"""Sending an alert e-mail through SMTP (the standard library's smtplib), one message at a time."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from dsnlink.config import Settings


class MailNotSent(Exception):
    """The SMTP server could not be reached or refused the message (the text says why, no
    secret in it)."""


@dataclass(frozen=True)
class Mailer:
    """Where alert e-mails go; `host` None means no server is configured."""

    host: str | None
    port: int
    security: str
    username: str | None
    password: str | None
    sender: str
    timeout: float

    @classmethod
    def from_settings(cls, settings: Settings) -> Mailer:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            sender=settings.alert_sender,
            timeout=settings.smtp_timeout_seconds,
        )

    def build(
        self, *, recipients: Sequence[str], subject: str, body: str, at: datetime
    ) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = ", ".join(recipients)
        message["Subject"] = subject
        message["Date"] = format_datetime(at)
        message["Message-ID"] = make_msgid(domain="dsnlink")
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(body)
        return message

    def send(self, message: EmailMessage) -> None:
        """Hand the message to the server; raises MailNotSent with a French reason."""
        if not self.host:
            raise MailNotSent("aucun serveur SMTP n'est configuré (DSNLINK_SMTP_HOST)")
        try:
            if self.security == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if self.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if self.username:
                    client.login(self.username, self.password or "")
                refused = client.send_message(message)
        except smtplib.SMTPAuthenticationError:
            raise MailNotSent("le serveur SMTP a refusé l'identification") from None
        except smtplib.SMTPRecipientsRefused:
            raise MailNotSent("le serveur SMTP a refusé tous les destinataires") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise MailNotSent(f"envoi impossible : {type(exc).__name__}") from None
        if refused:
            raise MailNotSent(f"destinataires refusés : {', '.join(sorted(refused))}")

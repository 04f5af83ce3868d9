"""Sending mail over SMTP (the standard library's smtplib), configured by one URL:

    smtp://[user:password@]host[:port][?starttls=1]   plain, or upgraded with STARTTLS
    smtps://[user:password@]host[:port]               TLS from the first byte (port 465)

TLS verifies the server's certificate against the system's CAs, or against `?cafile=/path.pem`
(an internal relay with its own CA).

Failures are sorted into temporary (4xx, a dropped connection: try again later) and permanent
(5xx for the recipient: stop mailing that address).
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from urllib.parse import parse_qs, unquote, urlsplit

from papertide.mail.mime import Outgoing


class MailError(Exception):
    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class TemporaryFailure(MailError):
    pass


class PermanentFailure(MailError):
    pass


class SmtpMailer:
    def __init__(self, url: str, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"SMTP URL must look like smtp://host:port or smtps://host:port, not {url!r}")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        query = parse_qs(parts.query)
        self.starttls = query.get("starttls", ["0"])[-1] in ("1", "true", "yes")
        self.cafile = query.get("cafile", [None])[-1]
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context(cafile=self.cafile)
        smtp: smtplib.SMTP
        if self.implicit_tls:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.starttls:
                smtp.starttls(context=context)
        if self.username:
            smtp.login(self.username, self.password or "")
        return smtp

    def send(self, message: Outgoing) -> None:
        """Hand `message` to the server (one connection kept for the whole run)."""
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            refused = self._smtp.sendmail(message.sender, [message.recipient], message.data)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise _classify(code, text) from exc
        except smtplib.SMTPResponseException as exc:
            raise _classify(exc.smtp_code, exc.smtp_error) from exc
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.close()
            raise TemporaryFailure(f"SMTP connection failed: {exc}") from exc
        except (UnicodeEncodeError, smtplib.SMTPNotSupportedError) as exc:  # an address stored before ASCII-only
            raise PermanentFailure(f"the address needs SMTPUTF8, which papertide does not send: {exc}") from exc
        if refused:  # some recipients refused (we send one recipient per message)
            code, text = next(iter(refused.values()))
            raise _classify(code, text)

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):  # closing anyway
                self._smtp.quit()
            self._smtp = None


def _classify(code: int, text: bytes | str) -> MailError:
    detail = text.decode(errors="replace") if isinstance(text, bytes) else text
    if 400 <= code < 500:
        return TemporaryFailure(f"SMTP {code} {detail}", code)
    return PermanentFailure(f"SMTP {code} {detail}", code)

"""How a papertide server is configured: from the environment, with safe defaults only in dev mode."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from papertide.mail.mailer import SmtpMailer
from papertide.members.submissions import Rules
from papertide.numbers import NumberError, parse_whole
from papertide.sources import arxiv_atom

DEV_SECRET = "papertide-dev-secret-do-not-use-in-production"


class ConfigError(ValueError):
    pass


def _whole(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """A whole-number setting, or a ConfigError in words (never a traceback at start-up)."""
    value = env.get(name, "")
    if not value:
        return default
    try:
        return parse_whole(value.strip(), name, low, high)
    except NumberError as exc:
        raise ConfigError(f"{exc}, not {value[:40]!r}") from None


@dataclass(frozen=True)
class WebConfig:
    secret: str
    dev: bool = False
    secure_cookies: bool = False  # set behind TLS: cookies then only travel over HTTPS
    site_name: str = "papertide"
    base_url: str = "http://127.0.0.1:8000"  # how the site is reached (links in feeds and mail)
    arxiv_url: str = arxiv_atom.DEFAULT_URL
    arxiv_delay: float = 3.0
    rules: Rules = field(default_factory=Rules)
    smtp_url: str = ""  # where account mail (verification, password reset) goes; none: not sent
    mail_from: str = "papertide <digest@localhost>"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ, dev: bool = False, **overrides: object) -> WebConfig:
        """PAPERTIDE_SECRET (required outside dev mode; at least 32 characters), PAPERTIDE_BASE_URL,
        PAPERTIDE_SECURE_COOKIES=1, PAPERTIDE_ARXIV_URL, PAPERTIDE_SUBMIT_MAX_AGE_DAYS,
        PAPERTIDE_SUBMIT_PER_DAY."""
        secret = env.get("PAPERTIDE_SECRET", "")
        if not secret:
            if not dev:
                raise ConfigError(
                    "PAPERTIDE_SECRET is not set: refusing to start outside dev mode with a default secret "
                    f"(make one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'), e.g. "
                    f"PAPERTIDE_SECRET={secrets.token_urlsafe(8)}… or pass --dev"
                )
            secret = DEV_SECRET
        elif secret == DEV_SECRET and not dev:
            raise ConfigError("PAPERTIDE_SECRET is the development default; set a secret of your own")
        elif len(secret) < 32 and not dev:
            raise ConfigError("PAPERTIDE_SECRET must be at least 32 characters")
        rules = Rules(
            max_age=timedelta(days=_whole(env, "PAPERTIDE_SUBMIT_MAX_AGE_DAYS", 14, 1, 36_500)),
            per_member_per_day=_whole(env, "PAPERTIDE_SUBMIT_PER_DAY", 5, 0, 100_000),
        )
        smtp_url = env.get("PAPERTIDE_SMTP_URL", "")
        if smtp_url:
            try:
                SmtpMailer(smtp_url)  # parses the URL; connects only when it sends
            except ValueError as exc:
                raise ConfigError(f"PAPERTIDE_SMTP_URL: {exc}") from None
        values: dict[str, object] = {
            "secret": secret,
            "dev": dev,
            "secure_cookies": env.get("PAPERTIDE_SECURE_COOKIES", "") in ("1", "true", "yes"),
            "base_url": env.get("PAPERTIDE_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
            "arxiv_url": env.get("PAPERTIDE_ARXIV_URL", arxiv_atom.DEFAULT_URL),
            "rules": rules,
            "smtp_url": smtp_url,
            "mail_from": env.get("PAPERTIDE_MAIL_FROM", "papertide <digest@localhost>"),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

"""Configuration of the notifiers (``notify:`` in ``slawatch.yaml``).

Secrets are never in the file: a webhook's signing secret, its URL when the URL is the
secret (``url_env``) and the SMTP password are read from the environment variable (or the
file) the configuration names.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, SecretStr, model_validator

from slawatch.errors import UserError

Severity = Literal["page", "ticket", "info"]
SEVERITY_RANK: dict[str, int] = {"page": 3, "ticket": 2, "info": 1}


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WebhookSettings(_Section):
    """One webhook: generic JSON (``format: json``) or a Slack incoming webhook."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    # A Slack-style URL is itself the secret: give it as url_env (read at start) instead.
    url: str | None = Field(default=None, pattern=r"^https?://")
    url_env: str | None = None
    format: Literal["json", "slack"] = "json"
    min_severity: Severity = "ticket"
    maintenance: bool = True  # also post maintenance announcements
    secret_env: str | None = None  # env var holding the HMAC-SHA256 signing secret
    timeout_seconds: float = Field(default=10.0, gt=0)

    @model_validator(mode="after")
    def _one_url(self) -> WebhookSettings:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give one of url and url_env")
        return self

    def secret(self) -> SecretStr | None:
        """The signing secret, from the environment (None when not configured)."""
        return _from_env(self.secret_env, f"notify.webhooks[{self.name}].secret_env")

    def endpoint(self) -> str:
        """The URL to post to: ``url``, or the value of ``url_env`` (never echoed)."""
        if self.url is not None:
            return self.url
        value = _from_env(self.url_env, f"notify.webhooks[{self.name}].url_env")
        assert value is not None
        url = value.get_secret_value()
        if not url.startswith(("http://", "https://")):
            raise UserError(
                f"notify.webhooks[{self.name}].url_env: {self.url_env} must hold an "
                "http:// or https:// URL"
            )
        return url


class SmtpSettings(_Section):
    """The SMTP relay for maintenance and outage notices to clients' support contacts."""

    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    sender: EmailStr
    username: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    security: Literal["none", "starttls", "tls"] = "starttls"
    timeout_seconds: float = Field(default=15.0, gt=0)
    alert_recipients: list[EmailStr] = Field(default_factory=list)  # the SRE team, optional
    alert_min_severity: Severity = "page"

    def password(self) -> SecretStr | None:
        """The SMTP password from ``password_env`` or ``password_file`` (never the file)."""
        if self.password_file is not None:
            try:
                return SecretStr(self.password_file.read_text(encoding="utf-8").strip())
            except OSError as exc:
                raise UserError(f"notify.smtp.password_file: {exc.strerror}") from exc
        return _from_env(self.password_env, "notify.smtp.password_env")


class NotifySettings(_Section):
    """Channels, retries and the consumer group of ``slawatch notify``."""

    group_id: str = Field(default="slawatch-notify", min_length=1)
    webhooks: list[WebhookSettings] = Field(default_factory=list)
    smtp: SmtpSettings | None = None
    max_attempts: int = Field(default=5, ge=1)
    retry_initial_seconds: float = Field(default=1.0, gt=0)
    retry_max_seconds: float = Field(default=60.0, gt=0)


def _from_env(name: str | None, field: str) -> SecretStr | None:
    if name is None:
        return None
    value = os.environ.get(name)
    if not value:
        raise UserError(f"{field}: environment variable {name} is not set")
    return SecretStr(value)

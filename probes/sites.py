"""Sites and clients: what the probes check and whom it belongs to.

A site is validated when it is loaded (``slawatch sites apply``) so that a target
that cannot even be parsed never reaches a worker. Assertions are a discriminated
union on ``kind``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from probes.targets import check_target


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Client(_Frozen):
    """A client of the SaaS company; up to two support contacts, per the contract."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    name: str = ""
    contract_ref: str = ""
    support_contacts: list[EmailStr] = Field(default_factory=list, max_length=2)
    private: bool = False
    token: SecretStr | None = None  # needed in the link of a private client's page
    notify_outages: bool = False  # e-mail outage notices to the contacts, too

    @model_validator(mode="before")
    @classmethod
    def _token_from_env_or_file(cls, data: Any) -> Any:
        """``token_env: VAR`` or ``token_file: path`` instead of the token in the file.

        Both are read once, at load time, and replaced by ``token`` (the model has no such
        fields, so nothing downstream re-reads them). The value is never echoed.
        """
        if not isinstance(data, dict) or not ({"token_env", "token_file"} & data.keys()):
            return data
        data = dict(data)
        env, file = data.pop("token_env", None), data.pop("token_file", None)
        if sum(x is not None for x in (env, file, data.get("token"))) > 1:
            raise ValueError("give one of token, token_env and token_file")
        if env is not None:
            value = os.environ.get(str(env), "")
            if not value:
                raise ValueError(f"token_env: environment variable {env} is not set")
        else:
            try:
                value = Path(str(file)).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ValueError(f"token_file: {file}: {exc.strerror}") from None
            if not value:
                raise ValueError(f"token_file: {file} is empty")
        data["token"] = value
        return data


class Confirmation(_Frozen):
    """How many consecutive checks flip a region's vote (issue: stream confirmation)."""

    down_after: int = Field(default=2, ge=1)
    up_after: int = Field(default=1, ge=1)


class HttpAssertions(_Frozen):
    """What an HTTP(S) answer must satisfy to count as up."""

    kind: Literal["http"] = "http"
    method: Literal["GET", "HEAD", "POST"] = "GET"
    expected_status: list[int] = Field(default_factory=lambda: list(range(200, 400)))
    body_contains: str | None = None
    body_regex: str | None = None
    json_field: str | None = None  # dotted path, e.g. "status.db"
    json_equals: str | int | float | bool | None = None
    degraded_above_ms: float | None = Field(default=None, gt=0)
    max_body_bytes: int = Field(default=1_000_000, gt=0)

    @field_validator("body_regex")
    @classmethod
    def _regex_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from None
        return value

    @model_validator(mode="after")
    def _json_equals_needs_field(self) -> HttpAssertions:
        if self.json_equals is not None and self.json_field is None:
            raise ValueError("json_equals needs json_field (the dotted path to compare)")
        return self


class TcpAssertions(_Frozen):
    """A TCP connect must succeed (target ``host:port``)."""

    kind: Literal["tcp"] = "tcp"
    degraded_above_ms: float | None = Field(default=None, gt=0)


class DnsAssertions(_Frozen):
    """A DNS lookup must answer, with the expected values if given."""

    kind: Literal["dns"] = "dns"
    record_type: Literal["A", "AAAA"] = "A"
    expected_values: list[str] = Field(default_factory=list)


class TlsAssertions(_Frozen):
    """A TLS handshake must succeed with a certificate valid this many days more."""

    kind: Literal["tls"] = "tls"
    min_days_before_expiry: int = Field(default=14, ge=0)
    verify: bool = True


Assertions = Annotated[
    HttpAssertions | TcpAssertions | DnsAssertions | TlsAssertions, Field(discriminator="kind")
]


class Site(_Frozen):
    """One monitored client site."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
    client: str
    name: str = ""
    kind: Literal["http", "tcp", "dns", "tls"]
    target: str
    interval_s: float = Field(default=30.0, ge=1.0)
    timeout_s: float = Field(default=10.0, gt=0)
    public: bool = True
    regions: list[str] | None = None  # None: every configured region
    confirmation: Confirmation = Confirmation()
    assertions: Assertions | None = None

    @field_validator("target")
    @classmethod
    def _target_parses_for_kind(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        if kind is not None:  # a bad kind is reported on its own field
            check_target(kind, value)
        return value

    @field_validator("assertions")
    @classmethod
    def _assertions_match_kind(cls, value: Any, info: ValidationInfo) -> Any:
        kind = info.data.get("kind")
        if value is not None and kind is not None and value.kind != kind:
            raise ValueError(f"assertions of kind {value.kind!r} on a site of kind {kind!r}")
        return value

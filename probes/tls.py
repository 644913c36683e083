"""TLS prober: handshake on a fresh connection and the certificate's days before expiry."""

from __future__ import annotations

import functools
import ssl

from cryptography import x509

from probes import tcp
from probes.outcome import ErrorKind, ProbeContext, ProbeFailure, ProbeOutcome
from probes.sites import Site, TlsAssertions
from probes.targets import parse_host_port


@functools.cache
def ssl_context(verify: bool) -> ssl.SSLContext:
    """The system's trust store when verifying; no verification at all otherwise."""
    if verify:
        return ssl.create_default_context()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def probe(site: Site, *, ctx: ProbeContext) -> ProbeOutcome:
    """Connect, handshake, and require ``min_days_before_expiry`` days of validity left."""
    rules = site.assertions if isinstance(site.assertions, TlsAssertions) else TlsAssertions()
    host, port = parse_host_port(site.target, default_port=443)
    _reader, writer = await tcp.connect(host, port, ctx.timer)
    try:
        ctx.timer.begin("tls")
        await writer.start_tls(ssl_context(rules.verify), server_hostname=host)
        ctx.timer.end("tls")
        ssl_object = writer.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object else None
    finally:
        await tcp.close(writer)
    if not der:
        raise ProbeFailure(ErrorKind.TLS, "the server sent no certificate")
    not_after = x509.load_der_x509_certificate(der).not_valid_after_utc
    days_left = (not_after - ctx.now).total_seconds() / 86400
    if days_left < rules.min_days_before_expiry:
        state = "expired" if days_left < 0 else f"expires in {days_left:.1f} days"
        raise ProbeFailure(
            ErrorKind.CERT_EXPIRY,
            f"certificate {state} ({not_after.isoformat()}); "
            f"{rules.min_days_before_expiry} days required",
        )
    return ProbeOutcome(detail=f"certificate valid {days_left:.1f} more days")

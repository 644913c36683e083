"""Notifiers: deliver alerts and maintenance notices to webhooks and e-mail, once per channel.

``slawatch notify`` runs :class:`~slawatch.notify.service.Notifier`: a consumer group over
the ``alerts`` and ``maintenance`` topics that hands every message to each configured
channel, retries failures with backoff, dead-letters what keeps failing, and records each
delivery in the compacted ``deliveries`` topic before committing the offset, so a restart
never delivers the same notice twice on the same channel.
"""

"""Sub-command modules of the `slawatch` CLI; each exposes ``register(subparsers)``."""

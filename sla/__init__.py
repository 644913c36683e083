"""The contract as code: pure functions and models, no I/O, no clock (instants are passed in).

* :mod:`sla.model` — wire and domain schemas of every topic and of the events file;
* :mod:`sla.contract`, :mod:`sla.contract_file` — the contract's parameters and its YAML file;
* :mod:`sla.intervals` — half-open interval arithmetic on UTC instants;
* :mod:`sla.calendar` — calendar months in the contract's zone, business days and hours;
* :mod:`sla.maintenance` — emergency / regular / scheduled windows and their violations;
* :mod:`sla.availability` — the formula ``A = (T − M − D) / (T − M) × 100``, exactly;
* :mod:`sla.events`, :mod:`sla.report`, :mod:`sla.render` — ``slawatch sla report``;
* confirmation, segmentation, burn rate, support, alerts, backup — the rules the stream and
  the alerting apply on top.

Nothing here imports from ``probes``, ``stream``, ``sinks`` or ``slawatch``.
"""

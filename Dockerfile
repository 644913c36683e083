# The slawatch image: every component (probe, stream, sink, web, notify, db, sites) is a
# sub-command of the one entry point, chosen by the container's command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SLAWATCH_DATA_DIR=/var/lib/slawatch

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY sla ./sla
COPY probes ./probes
COPY stream ./stream
COPY sinks ./sinks
COPY slawatch ./slawatch
COPY benchmarks ./benchmarks
COPY deploy ./deploy
# Editable: the migrations under deploy/ are found next to the package, as in a checkout.
RUN pip install --no-cache-dir -c constraints.txt -e . \
    && useradd --system --home-dir /var/lib/slawatch --create-home slawatch

USER slawatch
ENTRYPOINT ["slawatch"]
CMD ["--help"]

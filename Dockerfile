# syntax=docker/dockerfile:1
# PKSAI container image: docs/operations.md ("Containers"). Two stages: the first installs the
# locked dependencies (hash-checked) into a virtual environment and compiles bytecode; the
# final image copies only that environment and the code — no compilers, no pip cache — and
# runs as an unprivileged user.

ARG PYTHON=python:3.12-slim-bookworm

FROM ${PYTHON} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/pksai
COPY requirements/base.lock requirements/base.lock
RUN /opt/pksai/bin/pip install --require-hashes --no-deps -r requirements/base.lock
COPY pyproject.toml README.md LICENSE ./
COPY pksai ./pksai
RUN /opt/pksai/bin/pip install --no-deps . \
 && /opt/pksai/bin/python -m compileall -q -j 0 /opt/pksai/lib \
 && SECRET_KEY=build-only PKSAI_FIELD_KEYS=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA \
    PKSAI_NIK_HASH_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA \
    PKSAI_VAR_DIR=/tmp/var /opt/pksai/bin/pksai collectstatic --no-input --verbosity 0 \
 && mv /tmp/var/static /opt/pksai/static

FROM ${PYTHON} AS final
# postgresql-client: pg_dump / pg_restore for `pksai backup` and `pksai restore`
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 pksai \
 && useradd --system --uid 10001 --gid pksai --home-dir /var/lib/pksai --shell /usr/sbin/nologin pksai \
 && install -d -o pksai -g pksai -m 0750 /var/lib/pksai /var/lib/pksai/static
COPY --from=build /opt/pksai /opt/pksai
COPY --from=build --chown=pksai:pksai /opt/pksai/static /var/lib/pksai/static
ENV PATH=/opt/pksai/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PKSAI_VAR_DIR=/var/lib/pksai \
    LOG_FORMAT=json \
    PROMETHEUS_MULTIPROC_DIR=/tmp/pksai-metrics
USER pksai:pksai
WORKDIR /var/lib/pksai
VOLUME ["/var/lib/pksai"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]
# the web server only; the worker and the scheduler run as their own containers (compose.yaml)
CMD ["pksai", "serve", "0.0.0.0:8000", "--no-worker", "--no-scheduler"]

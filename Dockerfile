# lead-manager: one image for every role (api, worker, migrate); the command picks the role.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# libmagic: resumes are recognised by their content (python-magic).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libmagic1 \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app

WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY requirements/run.lock ./requirements/run.lock
# The runtime dependencies from the lock (versions pinned, hashes checked), no `[dev]` extra;
# then the package itself without resolving anything again.
RUN pip install --require-hashes -r requirements/run.lock
COPY src ./src
RUN pip install --no-deps . && rm -rf src && mkdir -p /app/var && chown app:app /app/var

USER app
ENV ENVIRONMENT=production \
    LOG_FORMAT=json
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

CMD ["lead-manager", "serve", "--host", "0.0.0.0"]

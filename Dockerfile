# Bookworm, named: the apt pins below are its package versions.
FROM python:3.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DEBUG=false \
    PORT=8000

# A CJK font for the share cards and posters the app draws, found through fontconfig.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-cjk=1:20220127+repack1-1 fontconfig=2.14.1-4 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
# collectstatic runs with DEBUG off, which demands a SECRET_KEY; this one exists only at build time.
RUN SECRET_KEY=build-only-collectstatic python manage.py collectstatic --noinput \
    && useradd --system --uid 1000 --no-create-home nice \
    && mkdir -p /app/media /app/var/cache \
    && chown nice /app/media /app/var/cache

USER 1000
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=15s \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=2)"]
CMD ["sh", "-c", "python manage.py migrate --noinput && python manage.py rerender_markdown && exec gunicorn nice.wsgi --bind 0.0.0.0:${PORT} --workers 3 --access-logfile -"]

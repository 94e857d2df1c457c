# One image for web (gunicorn), worker and beat (Celery); docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml ./
COPY backend ./backend
COPY recovery ./recovery
COPY notifications ./notifications
COPY locale ./locale
COPY manage.py gunicorn.conf.py ./
# gettext's msgfmt compiles the committed .po translations (patient texts in English and Spanish).
RUN apt-get update && apt-get install -y --no-install-recommends gettext && rm -rf /var/lib/apt/lists/* \
    && pip install . \
    && DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input -v 0 \
    && DJANGO_SECRET_KEY=compilemessages-only python manage.py compilemessages -v 0 \
    && useradd --system --uid 10001 --home-dir /app app \
    && mkdir -p /app/media && chown app /app/media

USER app
EXPOSE 8000
CMD ["gunicorn", "backend.wsgi:application", "--config", "gunicorn.conf.py"]

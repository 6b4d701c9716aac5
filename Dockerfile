# One image for web (gunicorn), worker and beat; docker-compose.yml chooses the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files are collected into the image and served by WhiteNoise (hashed names, compressed).
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    && useradd --create-home --uid 1000 alignment \
    && mkdir -p /app/var \
    && chown -R alignment /app/var

USER alignment
EXPOSE 8000

CMD ["gunicorn", "alignment.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]

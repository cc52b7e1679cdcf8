# One image for the web service, the worker, the telephony listener and the bot.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
# WeasyPrint (the route sheet PDF) renders with pango and harfbuzz; DejaVu has Cyrillic glyphs
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
RUN useradd --create-home app && mkdir -p /app/var && chown app /app/var
USER app
EXPOSE 8000
CMD ["sh", "-c", "python -m dispatcher migrate && uvicorn dispatcher.asgi:app --factory --host 0.0.0.0 --port 8000"]

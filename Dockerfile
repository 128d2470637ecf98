# finops: the CLI, the Slack bot (`finops slack`) and the weekly summary, in one image.
# The store lives on the /data volume (FINOPS_DB). A store you name must exist: on a fresh volume, load
# your exports (`finops ingest …`) or, to try it, build the demo company explicitly:
#   docker run --rm -v finops-data:/data finops demo --db /data/finops.duckdb
FROM python:3.11-slim
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir . \
 && useradd --create-home --uid 10001 --shell /usr/sbin/nologin finops \
 && mkdir -p /data && chown finops:finops /data
ENV FINOPS_DB=/data/finops.duckdb \
    PORT=3000 \
    PYTHONUNBUFFERED=1
VOLUME ["/data"]
USER finops
# The Slack bot's HTTP port (`finops slack --host 0.0.0.0`, port $PORT); GET /health answers "ok".
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '3000'), timeout=4).read()" || exit 1
ENTRYPOINT ["finops"]
CMD ["ask", "What should we fix first, and what does it save per month?"]

FROM python:3.11-slim
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir .
ENV FINOPS_DB=/data/finops.duckdb
VOLUME ["/data"]
ENTRYPOINT ["finops"]
CMD ["ask", "What should we fix first, and what does it save per month?"]

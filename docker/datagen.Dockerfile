# The example's data generator (docker/datagen.py): its Kafka client is
# installed once, when the image is built, not on every start.
#   docker build -f docker/datagen.Dockerfile -t sluice-datagen docker
FROM python:3.11-slim
RUN pip install --no-cache-dir confluent-kafka==2.16.1 \
    && useradd --system --no-create-home datagen
COPY datagen.py /app/datagen.py
USER datagen
ENTRYPOINT ["python", "-u", "/app/datagen.py"]

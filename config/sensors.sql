-- Example deployment queries (docker/docker-compose.yml runs these).
CREATE STREAM readings (sensor STRING KEY, site STRING, temp DOUBLE, humidity INT)
  WITH (KAFKA_TOPIC='readings', VALUE_FORMAT='JSON', PARTITIONS=3);

CREATE STREAM hot_readings AS
  SELECT sensor, site, temp * 9 / 5 + 32 AS temp_f, humidity
  FROM readings
  WHERE temp > 30
  EMIT CHANGES;

CREATE TABLE readings_per_site AS
  SELECT site, COUNT(*) AS readings, AVG(temp) AS avg_temp, MAX(temp) AS max_temp
  FROM readings
  WINDOW TUMBLING (SIZE 1 MINUTE)
  GROUP BY site
  EMIT CHANGES;

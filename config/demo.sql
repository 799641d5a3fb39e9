-- The queries of `sluice demo` (compiled into the binary at build time).
-- The demo generates both inputs: a small table of sensors (where each one
-- is and the temperature it must stay under) and a stream of readings.
-- A comment right above a query is its caption on the demo's screen.

CREATE TABLE sensors (sensor STRING PRIMARY KEY, site STRING, room STRING, max_temp DOUBLE)
  WITH (KAFKA_TOPIC='sensors', VALUE_FORMAT='JSON', PARTITIONS=3);

CREATE STREAM readings (sensor STRING KEY, site STRING, temp DOUBLE, humidity INT)
  WITH (KAFKA_TOPIC='readings', VALUE_FORMAT='JSON', PARTITIONS=3);

-- Filter: readings above 30 °C, in °F
CREATE STREAM hot_readings AS
  SELECT sensor, site, temp * 9 / 5 + 32 AS temp_f, humidity
  FROM readings
  WHERE temp > 30
  EMIT CHANGES;

-- Windowed aggregation: per site and 5-second window, one row when it closes (EMIT FINAL)
CREATE TABLE site_summary AS
  SELECT site, WINDOWSTART AS window_start, WINDOWEND AS window_end,
         COUNT(*) AS readings, ROUND(AVG(temp), 1) AS avg_temp, MAX(temp) AS max_temp
  FROM readings
  WINDOW TUMBLING (SIZE 5 SECONDS, GRACE PERIOD 0 SECONDS)
  GROUP BY site
  EMIT FINAL;

-- Stream-table join: readings over their sensor's limit, with its room
CREATE STREAM alerts AS
  SELECT r.sensor, s.room, r.temp, s.max_temp
  FROM readings r JOIN sensors s ON r.sensor = s.sensor
  WHERE r.temp > s.max_temp
  EMIT CHANGES;

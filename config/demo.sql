-- The demo's query: sensor readings in, hot readings out (in Fahrenheit).
-- `sluice demo` feeds the `readings` topic with generated sensor data.
CREATE STREAM readings (sensor STRING KEY, site STRING, temp DOUBLE, humidity INT)
  WITH (KAFKA_TOPIC='readings', VALUE_FORMAT='JSON');

CREATE STREAM hot_readings AS
  SELECT sensor, site, temp * 9 / 5 + 32 AS temp_f, humidity,
         CASE WHEN temp > 35 THEN 'critical' ELSE 'warm' END AS level
  FROM readings
  WHERE temp > 30 AND humidity < 80
  EMIT CHANGES;

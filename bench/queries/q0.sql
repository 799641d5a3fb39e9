-- Nexmark q0, pass-through: every bid is decoded and written again unchanged.
-- It measures what reading, deserializing, serializing and writing cost.
-- Inputs come from bench/nexmark (bids keyed by auction id as a BIGINT in
-- KAFKA format, JSON values, record timestamp = event time); bench/run
-- rewrites the KAFKA_TOPIC names for each run.
CREATE STREAM bids (auction BIGINT KEY, bidder BIGINT, price BIGINT, channel STRING, url STRING,
                   dateTime BIGINT, extra STRING)
  WITH (KAFKA_TOPIC='bids', KEY_FORMAT='KAFKA', VALUE_FORMAT='JSON');

CREATE STREAM nexmark_q0 WITH (KAFKA_TOPIC='nexmark_q0') AS
  SELECT * FROM bids
  EMIT CHANGES;

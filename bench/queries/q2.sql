-- Nexmark q2, selection: the bids of every 123rd auction (about 1% of the
-- bids pass).
CREATE STREAM bids (auction BIGINT KEY, bidder BIGINT, price BIGINT, channel STRING, url STRING,
                   dateTime BIGINT, extra STRING)
  WITH (KAFKA_TOPIC='bids', KEY_FORMAT='KAFKA', VALUE_FORMAT='JSON');

CREATE STREAM nexmark_q2 WITH (KAFKA_TOPIC='nexmark_q2') AS
  SELECT auction, price
  FROM bids
  WHERE auction % 123 = 0
  EMIT CHANGES;

-- Nexmark q1, currency conversion: each bid's price in euros (0.908 per
-- dollar, as the Flink Nexmark suite does). 0.908 is a DECIMAL(3,3)
-- literal in ksqlDB, so PRICE is a DECIMAL with three decimals.
CREATE STREAM bids (auction BIGINT KEY, bidder BIGINT, price BIGINT, channel STRING, url STRING,
                   dateTime BIGINT, extra STRING)
  WITH (KAFKA_TOPIC='bids', KEY_FORMAT='KAFKA', VALUE_FORMAT='JSON');

CREATE STREAM nexmark_q1 WITH (KAFKA_TOPIC='nexmark_q1') AS
  SELECT auction, bidder, price * 0.908 AS price, dateTime, extra
  FROM bids
  EMIT CHANGES;

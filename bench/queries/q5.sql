-- Nexmark q5-like, hot items: the number of bids per auction in hopping
-- windows of 10 s advancing by 2 s (each bid counts in five windows).
-- Nexmark's q5 then keeps the auctions with the most bids per window, which
-- ksqlDB cannot express over a windowed aggregate; the counts are the
-- stateful part. The bids stream is keyed by auction, so no repartition.
-- The grace period of 5 s covers the generator's 4 s of out-of-orderness:
-- no bid is late, and the final count of every window is deterministic
-- (bench/run compares them with Kafka Streams').
CREATE STREAM bids (auction BIGINT KEY, bidder BIGINT, price BIGINT, channel STRING, url STRING,
                   dateTime BIGINT, extra STRING)
  WITH (KAFKA_TOPIC='bids', KEY_FORMAT='KAFKA', VALUE_FORMAT='JSON');

CREATE TABLE nexmark_q5 WITH (KAFKA_TOPIC='nexmark_q5') AS
  SELECT auction, COUNT(*) AS num
  FROM bids
  WINDOW HOPPING (SIZE 10 SECONDS, ADVANCE BY 2 SECONDS, GRACE PERIOD 5 SECONDS)
  GROUP BY auction
  EMIT CHANGES;

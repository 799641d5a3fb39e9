-- Nexmark q7-like, highest bid: the highest price per bidder in tumbling
-- windows of 10 s. (Nexmark's q7 takes the highest bid of the whole window
-- and joins it back to the bids; ksqlDB has no global aggregate, so this
-- groups by bidder instead.) Grouping by a value column sends every bid
-- through a repartition topic, the costly part of real aggregations.
-- After the repartition a task sees records from every input partition
-- interleaved, so its stream time can run ahead of a slower partition by
-- more than the 4 s of out-of-orderness; the grace period of 1 minute keeps
-- every bid in its window, so that the final maxima do not depend on how a
-- system interleaves partitions (bench/run compares them with Kafka
-- Streams').
CREATE STREAM bids (auction BIGINT KEY, bidder BIGINT, price BIGINT, channel STRING, url STRING,
                   dateTime BIGINT, extra STRING)
  WITH (KAFKA_TOPIC='bids', KEY_FORMAT='KAFKA', VALUE_FORMAT='JSON');

CREATE TABLE nexmark_q7 WITH (KAFKA_TOPIC='nexmark_q7') AS
  SELECT bidder, MAX(price) AS max_price
  FROM bids
  WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 1 MINUTE)
  GROUP BY bidder
  EMIT CHANGES;

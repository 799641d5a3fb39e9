-- Enrichment join: each bid with its auction's seller, category and item
-- name; auctions are a TABLE keyed by id. Bids are keyed by auction and
-- both topics are partitioned alike (murmur2 of the same 8-byte key), so
-- the join needs no repartition. A bid whose auction the table does not
-- hold yet (Nexmark bids on up to 10 auctions ahead of the newest one) has
-- no output, as in any stream-table inner join: how many such bids there
-- are depends on how a system orders the two topics, so the output counts
-- of two systems may differ slightly.
CREATE STREAM bids (auction BIGINT KEY, bidder BIGINT, price BIGINT, channel STRING, url STRING,
                   dateTime BIGINT, extra STRING)
  WITH (KAFKA_TOPIC='bids', KEY_FORMAT='KAFKA', VALUE_FORMAT='JSON');
CREATE TABLE auctions (id BIGINT PRIMARY KEY, itemName STRING, description STRING, initialBid BIGINT,
                       reserve BIGINT, dateTime BIGINT, expires BIGINT, seller BIGINT, category BIGINT,
                       extra STRING)
  WITH (KAFKA_TOPIC='auctions', KEY_FORMAT='KAFKA', VALUE_FORMAT='JSON');

CREATE STREAM nexmark_join WITH (KAFKA_TOPIC='nexmark_join') AS
  SELECT b.auction, b.bidder, b.price, a.seller, a.category, a.itemName
  FROM bids b
  JOIN auctions a ON b.auction = a.id
  EMIT CHANGES;

package dev.sluice.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.kstream.WindowedSerdes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The six Nexmark workloads of bench/queries as a Kafka Streams application,
 * the JVM baseline Sluice is measured against.
 *
 * <pre>
 * java -jar nexmark-kstreams.jar WORKLOAD --bootstrap-servers HOST:PORT --application-id ID
 *      --output TOPIC [--bids bids] [--auctions auctions] [--threads 1]
 *      [--commit-interval-ms 100] [--state-dir DIR] [--guarantee exactly_once_v2]
 * WORKLOAD: q0 q1 q2 q5 q7 join
 * </pre>
 *
 * <p>Why it is written this way:
 * <ul>
 * <li>Each workload writes exactly what ksqlDB (and so Sluice) writes for the
 *     same SQL: the same keys (8-byte BIGINT, windowed keys with the 8-byte
 *     window start appended, as TimeWindowedSerializer does), the same JSON
 *     value fields in upper case and in the same order, DECIMAL as an exact
 *     number with its scale. bench/run compares the outputs record by record
 *     (stateless) and window by window (windowed).</li>
 * <li>It is the program a competent developer would write, not an
 *     interpreter of SQL: it parses a value only when the output needs it
 *     (q2 filters on the key first, q5 counts without parsing), repartitions
 *     only the bidder and price for q7, and keeps the DSL's defaults
 *     (RocksDB stores, record caches, murmur2 partitioning).</li>
 * <li>Exactly-once v2, the commit interval and the thread count come from
 *     the command line so bench/run gives both systems the same values;
 *     topology optimization is on, as ksqlDB runs it (the auctions table
 *     uses its source topic as changelog).</li>
 * <li>SIGTERM closes the application cleanly (commit, leave the group); a
 *     stream thread that dies stops the process with exit status 1.</li>
 * </ul>
 */
public final class NexmarkStreams {
    /** Exact decimals: DECIMAL(23,3) prints as 1648.020, as ksqlDB prints it. */
    private static final ObjectMapper JSON =
            new ObjectMapper().setNodeFactory(JsonNodeFactory.withExactBigDecimals(true));
    private static final BigDecimal EUROS_PER_DOLLAR = new BigDecimal("0.908");
    private static final Duration WINDOW = Duration.ofSeconds(10);

    private NexmarkStreams() {}

    public static void main(String[] args) throws InterruptedException {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        Options options = Options.parse(args);
        StreamsBuilder builder = new StreamsBuilder();
        switch (options.workload) {
            case "q0" -> q0PassThrough(builder, options);
            case "q1" -> q1CurrencyConversion(builder, options);
            case "q2" -> q2Selection(builder, options);
            case "q5" -> q5HoppingCount(builder, options);
            case "q7" -> q7TumblingMax(builder, options);
            case "join" -> joinBidsWithAuctions(builder, options);
            default -> Options.usage("unknown workload " + options.workload);
        }
        Properties config = options.streamsConfig();
        KafkaStreams streams = new KafkaStreams(builder.build(config), config);

        CountDownLatch stopped = new CountDownLatch(1);
        boolean[] failed = {false};
        streams.setUncaughtExceptionHandler(e -> {
            System.err.println("kstreams: stream thread failed: " + e);
            failed[0] = true;
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        streams.setStateListener((now, before) -> {
            if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
                stopped.countDown();
            }
        });
        Thread closer = new Thread(() -> {
            streams.close(Duration.ofSeconds(30));
            stopped.countDown();
        }, "nexmark-shutdown");
        Runtime.getRuntime().addShutdownHook(closer);
        streams.start();
        stopped.await();
        if (failed[0]) {
            Runtime.getRuntime().removeShutdownHook(closer);
            streams.close(Duration.ofSeconds(30));
            System.exit(1);
        }
    }

    // ---- the workloads ----

    /** q0: every bid, decoded and written again with ksqlDB's column names. */
    static void q0PassThrough(StreamsBuilder builder, Options options) {
        bids(builder, options)
                .mapValues(value -> {
                    JsonNode bid = parse(value);
                    ObjectNode out = JSON.createObjectNode();
                    out.set("BIDDER", field(bid, "bidder"));
                    out.set("PRICE", field(bid, "price"));
                    out.set("CHANNEL", field(bid, "channel"));
                    out.set("URL", field(bid, "url"));
                    out.set("DATETIME", field(bid, "dateTime"));
                    out.set("EXTRA", field(bid, "extra"));
                    return write(out);
                })
                .to(options.output, Produced.with(Serdes.Long(), Serdes.ByteArray()));
    }

    /** q1: price * 0.908 as an exact decimal (0.908 is a DECIMAL literal in ksqlDB). */
    static void q1CurrencyConversion(StreamsBuilder builder, Options options) {
        bids(builder, options)
                .mapValues(value -> {
                    JsonNode bid = parse(value);
                    JsonNode price = field(bid, "price");
                    ObjectNode out = JSON.createObjectNode();
                    out.set("BIDDER", field(bid, "bidder"));
                    if (price.isNull()) {
                        out.putNull("PRICE");
                    } else {
                        out.put("PRICE", BigDecimal.valueOf(price.asLong()).multiply(EUROS_PER_DOLLAR));
                    }
                    out.set("DATETIME", field(bid, "dateTime"));
                    out.set("EXTRA", field(bid, "extra"));
                    return write(out);
                })
                .to(options.output, Produced.with(Serdes.Long(), Serdes.ByteArray()));
    }

    /** q2: the bids of every 123rd auction; the key is the auction, so only those are parsed. */
    static void q2Selection(StreamsBuilder builder, Options options) {
        bids(builder, options)
                .filter((auction, value) -> auction != null && auction % 123 == 0)
                .mapValues(value -> {
                    ObjectNode out = JSON.createObjectNode();
                    out.set("PRICE", field(parse(value), "price"));
                    return write(out);
                })
                .to(options.output, Produced.with(Serdes.Long(), Serdes.ByteArray()));
    }

    /** q5: bids per auction in hopping windows (10 s, advance 2 s, grace 5 s); bids are keyed by auction. */
    static void q5HoppingCount(StreamsBuilder builder, Options options) {
        bids(builder, options)
                .groupByKey(Grouped.with(Serdes.Long(), Serdes.ByteArray()))
                .windowedBy(TimeWindows.ofSizeAndGrace(WINDOW, Duration.ofSeconds(5))
                        .advanceBy(Duration.ofSeconds(2)))
                .count(Materialized.<Long, Long, WindowStore<Bytes, byte[]>>as("q5-bids-per-auction")
                        .withKeySerde(Serdes.Long())
                        .withValueSerde(Serdes.Long()))
                .toStream()
                .mapValues(count -> {
                    ObjectNode out = JSON.createObjectNode();
                    out.put("NUM", count);
                    return write(out);
                })
                .to(options.output, Produced.with(windowedLongSerde(), Serdes.ByteArray()));
    }

    /** q7: the highest price per bidder in tumbling windows of 10 s (grace 1 min), through a repartition. */
    static void q7TumblingMax(StreamsBuilder builder, Options options) {
        bids(builder, options)
                .flatMap((auction, value) -> {
                    JsonNode bid = parse(value);
                    JsonNode bidder = field(bid, "bidder");
                    JsonNode price = field(bid, "price");
                    if (bidder.isNull() || price.isNull()) { // GROUP BY drops NULL keys; MAX ignores NULLs
                        return List.<KeyValue<Long, Long>>of();
                    }
                    return List.of(KeyValue.pair(bidder.asLong(), price.asLong()));
                })
                .groupByKey(Grouped.with("q7-by-bidder", Serdes.Long(), Serdes.Long()))
                .windowedBy(TimeWindows.ofSizeAndGrace(WINDOW, Duration.ofMinutes(1)))
                .reduce(Math::max, Materialized.<Long, Long, WindowStore<Bytes, byte[]>>as("q7-max-price")
                        .withKeySerde(Serdes.Long())
                        .withValueSerde(Serdes.Long()))
                .toStream()
                .mapValues(max -> {
                    ObjectNode out = JSON.createObjectNode();
                    out.put("MAX_PRICE", max);
                    return write(out);
                })
                .to(options.output, Produced.with(windowedLongSerde(), Serdes.ByteArray()));
    }

    /** join: bids with their auction's seller, category and item name (auctions as a table). */
    static void joinBidsWithAuctions(StreamsBuilder builder, Options options) {
        KTable<Long, byte[]> auctions = builder.table(options.auctions,
                Consumed.with(Serdes.Long(), Serdes.ByteArray()),
                Materialized.<Long, byte[], KeyValueStore<Bytes, byte[]>>as("auctions")
                        .withKeySerde(Serdes.Long())
                        .withValueSerde(Serdes.ByteArray()));
        bids(builder, options)
                .join(auctions, (bidValue, auctionValue) -> {
                    JsonNode bid = parse(bidValue);
                    JsonNode auction = parse(auctionValue);
                    ObjectNode out = JSON.createObjectNode();
                    out.set("BIDDER", field(bid, "bidder"));
                    out.set("PRICE", field(bid, "price"));
                    out.set("SELLER", field(auction, "seller"));
                    out.set("CATEGORY", field(auction, "category"));
                    out.set("ITEMNAME", field(auction, "itemName"));
                    return write(out);
                })
                .to(options.output, Produced.with(Serdes.Long(), Serdes.ByteArray()));
    }

    // ---- helpers ----

    /** The bids topic; records without a value are not rows (ksqlDB drops them too). */
    private static KStream<Long, byte[]> bids(StreamsBuilder builder, Options options) {
        return builder.stream(options.bids, Consumed.with(Serdes.Long(), Serdes.ByteArray()))
                .filter((key, value) -> value != null);
    }

    private static Serde<Windowed<Long>> windowedLongSerde() {
        return WindowedSerdes.timeWindowedSerdeFrom(Long.class, WINDOW.toMillis());
    }

    private static JsonNode parse(byte[] value) {
        try {
            return JSON.readTree(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode field(JsonNode object, String name) {
        JsonNode node = object.get(name);
        return node == null ? NullNode.getInstance() : node;
    }

    private static byte[] write(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Command-line options; every one has a default but the broker, id and output. */
    static final class Options {
        String workload;
        String bootstrapServers;
        String applicationId;
        String output;
        String bids = "bids";
        String auctions = "auctions";
        int threads = 1;
        int commitIntervalMs = 100;
        String stateDir = System.getProperty("java.io.tmpdir") + "/nexmark-kstreams";
        String guarantee = StreamsConfig.EXACTLY_ONCE_V2;

        static Options parse(String[] args) {
            if (args.length == 0) {
                usage("no workload");
            }
            Options o = new Options();
            o.workload = args[0];
            Map<String, String> named = new HashMap<>();
            for (int i = 1; i < args.length; i += 2) {
                if (!args[i].startsWith("--") || i + 1 >= args.length) {
                    usage("bad argument " + args[i]);
                }
                named.put(args[i].substring(2), args[i + 1]);
            }
            o.bootstrapServers = named.remove("bootstrap-servers");
            o.applicationId = named.remove("application-id");
            o.output = named.remove("output");
            o.bids = named.getOrDefault("bids", o.bids);
            o.auctions = named.getOrDefault("auctions", o.auctions);
            named.remove("bids");
            named.remove("auctions");
            o.threads = Integer.parseInt(named.getOrDefault("threads", "" + o.threads));
            named.remove("threads");
            o.commitIntervalMs = Integer.parseInt(named.getOrDefault("commit-interval-ms", "" + o.commitIntervalMs));
            named.remove("commit-interval-ms");
            o.stateDir = named.getOrDefault("state-dir", o.stateDir);
            named.remove("state-dir");
            o.guarantee = named.getOrDefault("guarantee", o.guarantee);
            named.remove("guarantee");
            if (!named.isEmpty()) {
                usage("unknown option(s) " + named.keySet());
            }
            if (o.bootstrapServers == null || o.applicationId == null || o.output == null) {
                usage("--bootstrap-servers, --application-id and --output are required");
            }
            return o;
        }

        Properties streamsConfig() {
            Properties p = new Properties();
            p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
            p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
            p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
            p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitIntervalMs);
            p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
            p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
            p.put(StreamsConfig.TOPOLOGY_OPTIMIZATION_CONFIG, StreamsConfig.OPTIMIZE);
            p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
            return p;
        }

        static void usage(String why) {
            System.err.println("kstreams: " + why);
            System.err.println("usage: java -jar nexmark-kstreams.jar q0|q1|q2|q5|q7|join --bootstrap-servers HOST:PORT"
                    + " --application-id ID --output TOPIC [--bids T] [--auctions T] [--threads N]"
                    + " [--commit-interval-ms MS] [--state-dir DIR] [--guarantee exactly_once_v2|at_least_once]");
            System.exit(2);
        }
    }
}

/*
 * Reference harness: reads {"cases": [...]} on stdin, runs each case through
 * a fresh TopologyTestDriver over a Kafka Streams topology wired as ksqlDB
 * wires the statement (see Topologies), and writes {"results": [...]} on
 * stdout. One JVM serves every case; a case that fails reports "error".
 *
 * Driver settings follow ksqlDB's test runner (TestExecutor,
 * TestExecutorUtil): record cache of size 0, topology optimization "all"
 * (KsqlConfig's default), wall clock fixed at the epoch, outputs read after
 * each input. The two wall-clock emit throttles of Kafka Streams (outer-join
 * spurious-result fix, EMIT FINAL windows) default to 0 here, the setting
 * that makes results independent of the wall clock; a case may set them
 * through "emit_interval_ms" ({"join": ms, "window": ms}) to reproduce a
 * runner that leaves Kafka Streams' default of 1000 ms with a clock that
 * never moves.
 */
package sluice.kstreams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.kstream.internals.SessionWindow;
import org.apache.kafka.streams.test.TestRecord;

public final class Main {
  private static final String OUT = "OUT";

  private Main() {
  }

  public static void main(final String[] args) throws IOException {
    final InputStream in = System.in;
    final JsonNode spec = Serdes2.MAPPER.readTree(in);
    final Path stateRoot = createStateRoot();
    final ObjectNode out = Serdes2.MAPPER.createObjectNode();
    final ArrayNode results = out.putArray("results");
    final long started = System.nanoTime();
    final List<JsonNode> cases = new ArrayList<>();
    spec.get("cases").forEach(cases::add);
    final int n = cases.size();
    // Cases are independent (a driver and a state directory each), so they
    // may run on several threads; results keep the input order.
    final int threads = Math.max(1, Integer.parseInt(
        System.getenv().getOrDefault("KSTREAMS_MODEL_THREADS", "1")));
    final ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      final List<Future<ObjectNode>> pending = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        final JsonNode c = cases.get(i);
        final Path dir = stateRoot.resolve("c" + i);
        pending.add(pool.submit(() -> runCase(c, dir)));
      }
      for (final Future<ObjectNode> f : pending) {
        results.add(f.get());
      }
    } catch (InterruptedException | ExecutionException e) {
      throw new IOException(e);
    } finally {
      pool.shutdownNow();
      deleteTree(stateRoot);
    }
    final double seconds = (System.nanoTime() - started) / 1e9;
    final OutputStream stdout = System.out;
    stdout.write(Serdes2.MAPPER.writeValueAsBytes(out));
    stdout.write('\n');
    stdout.flush();
    System.err.printf("kstreams-model: %d cases in %.2f s (%.0f cases/s)%n",
        n, seconds, n / Math.max(seconds, 1e-9));
  }

  private static ObjectNode runCase(final JsonNode c, final Path stateDir) {
    final ObjectNode result = Serdes2.MAPPER.createObjectNode();
    result.set("id", c.get("id"));
    try {
      result.set("outputs", execute(c, stateDir));
    } catch (Throwable e) {
      result.remove("outputs");
      result.put("error", describe(e));
    }
    return result;
  }

  private static String describe(final Throwable e) {
    Throwable root = e;
    final StringBuilder sb = new StringBuilder(String.valueOf(e));
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
      sb.append(" <- ").append(root);
    }
    return sb.toString();
  }

  private static String text(final JsonNode c, final String field, final String dflt) {
    final JsonNode n = c.get(field);
    return n == null || n.isNull() ? dflt : n.asText();
  }

  private static Long optLong(final JsonNode c, final String field) {
    final JsonNode n = c.get(field);
    return n == null || n.isNull() ? null : n.asLong();
  }

  private static Serdes2.KeyType keyTypeOf(final JsonNode c, final String topic) {
    final JsonNode perTopic = c.get("key_types");
    if (perTopic != null && perTopic.has(topic)) {
      return Serdes2.KeyType.parse(perTopic.get(topic).asText());
    }
    return Serdes2.KeyType.parse(text(c, "key_type", "BIGINT"));
  }

  private static ArrayNode execute(final JsonNode c, final Path stateDir) {
    final String op = text(c, "op", "");
    final StreamsBuilder builder = new StreamsBuilder();
    final Map<String, Serdes2.KeyType> inputKeyTypes = new HashMap<>();
    Topologies.Window window = null;
    switch (op) {
      case "window_agg": {
        final JsonNode wj = c.get("window");
        window = new Topologies.Window();
        window.type = text(wj, "type", "").toUpperCase();
        window.size = wj.get("size").asLong();
        window.advance = wj.has("advance") && !wj.get("advance").isNull()
            ? wj.get("advance").asLong() : window.size;
        window.grace = optLong(wj, "grace");
        window.retention = optLong(wj, "retention");
        window.emitFinal = text(c, "emit", "CHANGES").equalsIgnoreCase("FINAL");
        final Serdes2.KeyType kt = keyTypeOf(c, "TEST");
        inputKeyTypes.put("TEST", kt);
        Topologies.windowAgg(builder, kt.serde(), window, Aggregations.parse(c.get("aggregates")),
            "TEST", OUT);
        break;
      }
      case "ss_join": {
        final Serdes2.KeyType kt = keyTypeOf(c, "L");
        inputKeyTypes.put("L", kt);
        inputKeyTypes.put("R", kt);
        final long before = c.get("before").asLong();
        final long after = c.has("after") ? c.get("after").asLong() : before;
        Topologies.streamStreamJoin(builder, kt.serde(), text(c, "type", "INNER").toUpperCase(),
            before, after, optLong(c, "grace"), OUT);
        break;
      }
      case "st_join": {
        final Serdes2.KeyType kt = keyTypeOf(c, "L");
        inputKeyTypes.put("L", kt);
        inputKeyTypes.put("R", kt);
        Topologies.streamTableJoin(builder, kt.serde(), text(c, "type", "INNER").toUpperCase(), OUT);
        break;
      }
      case "tt_join": {
        final boolean fk = c.has("fk") && c.get("fk").asBoolean();
        final Serdes2.KeyType lt = keyTypeOf(c, "L");
        final Serdes2.KeyType rt = keyTypeOf(c, "R");
        inputKeyTypes.put("L", lt);
        inputKeyTypes.put("R", rt);
        final String type = text(c, "type", "INNER").toUpperCase();
        if (fk) {
          Topologies.foreignKeyJoin(builder, lt.serde(), rt.serde(), rt,
              text(c, "fk_column", "FK"), type, OUT);
        } else {
          if (lt != rt) {
            throw new IllegalArgumentException("key types of L and R differ");
          }
          Topologies.tableTableJoin(builder, lt.serde(), type, OUT);
        }
        break;
      }
      default:
        throw new IllegalArgumentException("unknown op " + op);
    }

    final Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "sluice-kstreams-model");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:0");
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    props.put(StreamsConfig.TOPOLOGY_OPTIMIZATION_CONFIG, StreamsConfig.OPTIMIZE);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    // The foreign-key join hashes left values with the left table's serde; an
    // unmaterialized transformValues (ksqlDB's last source step) has none, so
    // Kafka Streams falls back to the default value serde.
    props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes2.JsonSerde.class.getName());
    final JsonNode emit = c.get("emit_interval_ms");
    props.put(StreamsConfig.InternalConfig.EMIT_INTERVAL_MS_KSTREAMS_OUTER_JOIN_SPURIOUS_RESULTS_FIX,
        emit != null && emit.has("join") ? emit.get("join").asLong() : 0L);
    props.put(StreamsConfig.InternalConfig.EMIT_INTERVAL_MS_KSTREAMS_WINDOWED_AGGREGATION,
        emit != null && emit.has("window") ? emit.get("window").asLong() : 0L);

    final Topology topology = builder.build(props);
    final ArrayNode outputs = Serdes2.MAPPER.createArrayNode();
    final boolean raw = c.has("raw") && c.get("raw").asBoolean();
    final String valueColumn = text(c, "value_column", "V");
    try (TopologyTestDriver driver = new TopologyTestDriver(topology, props, Instant.EPOCH)) {
      final Map<String, TestInputTopic<Object, ObjectNode>> inputs = new HashMap<>();
      for (final Map.Entry<String, Serdes2.KeyType> e : inputKeyTypes.entrySet()) {
        inputs.put(e.getKey(), driver.createInputTopic(
            e.getKey(), e.getValue().serde().serializer(), Serdes2.JSON.serializer()));
      }
      final Serdes2.KeyType outKeyType = op.equals("window_agg")
          ? inputKeyTypes.get("TEST") : inputKeyTypes.get("L");
      final Deserializer<?> keyDeserializer = window == null
          ? outKeyType.serde().deserializer()
          : Topologies.windowedSerde(outKeyType.serde(), window).deserializer();
      @SuppressWarnings("unchecked")
      final TestOutputTopic<Object, ObjectNode> output = driver.createOutputTopic(
          OUT, (Deserializer<Object>) keyDeserializer, Serdes2.JSON.deserializer());

      for (final JsonNode rec : c.get("inputs")) {
        final String topic = text(rec, "topic", "");
        final TestInputTopic<Object, ObjectNode> input = inputs.get(topic);
        if (input == null) {
          throw new IllegalArgumentException("no source topic " + topic + " in op " + op);
        }
        final Serdes2.KeyType kt = inputKeyTypes.get(topic);
        final Object key = kt.fromJson(rec.get("key"));
        final JsonNode v = rec.get("value");
        final ObjectNode value = v == null || v.isNull() ? null : (ObjectNode) v;
        final long ts = rec.has("timestamp") && !rec.get("timestamp").isNull()
            ? rec.get("timestamp").asLong() : 0L;
        input.pipeInput(new TestRecord<>(key, value, null, ts));
        final List<TestRecord<Object, ObjectNode>> produced = output.readRecordsToList();
        for (final TestRecord<Object, ObjectNode> r : produced) {
          outputs.add(toJson(r, op, raw, valueColumn));
        }
      }
    }
    return outputs;
  }

  private static ObjectNode toJson(
      final TestRecord<Object, ObjectNode> r, final String op, final boolean raw,
      final String valueColumn) {
    final ObjectNode o = Serdes2.MAPPER.createObjectNode();
    o.put("topic", OUT);
    Object key = r.key();
    ObjectNode window = null;
    if (key instanceof Windowed) {
      final Windowed<?> wk = (Windowed<?>) key;
      key = wk.key();
      window = Serdes2.MAPPER.createObjectNode();
      window.put("start", wk.window().start());
      window.put("end", wk.window().end());
      window.put("type", wk.window() instanceof SessionWindow ? "session" : "time");
    }
    o.set("key", Serdes2.MAPPER.valueToTree(key));
    final ObjectNode v = r.value();
    if (v == null) {
      o.putNull("value");
    } else if (op.equals("window_agg") || raw) {
      o.set("value", v);
    } else {
      final ObjectNode projected = o.putObject("value");
      final JsonNode l = v.get("L");
      final JsonNode rr = v.get("R");
      projected.set("LV", column(l, valueColumn));
      projected.set("RV", column(rr, valueColumn));
      projected.set("LID", column(l, Topologies.KEY_FIELD));
      projected.set("RID", column(rr, Topologies.KEY_FIELD));
    }
    o.put("timestamp", r.timestamp());
    if (window != null) {
      o.set("window", window);
    }
    return o;
  }

  private static JsonNode column(final JsonNode row, final String name) {
    if (row == null || row.isNull() || !row.has(name)) {
      return Serdes2.MAPPER.nullNode();
    }
    return row.get(name);
  }

  /**
   * RocksDB stores (Kafka Streams' default, whose segment-wise expiry the
   * results depend on) sync their files on creation; on a memory file system
   * that costs nothing, so prefer /dev/shm when it is there.
   */
  private static Path createStateRoot() throws IOException {
    final String override = System.getenv("KSTREAMS_MODEL_STATE_DIR");
    final Path shm = Path.of("/dev/shm");
    if (override != null && !override.isEmpty()) {
      Files.createDirectories(Path.of(override));
      return Files.createTempDirectory(Path.of(override), "sluice-kstreams-");
    }
    if (Files.isDirectory(shm) && Files.isWritable(shm)) {
      return Files.createTempDirectory(shm, "sluice-kstreams-");
    }
    return Files.createTempDirectory("sluice-kstreams-");
  }

  private static void deleteTree(final Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}

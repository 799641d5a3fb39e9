/*
 * Kafka Streams topologies wired the way ksqlDB's execution steps wire them
 * (ksqldb-streams, io.confluent.ksql.execution.streams). Each method names
 * the ksqlDB class whose choices it follows; the README lists them too.
 *
 * Sources
 *   stream: builder.stream(topic) then a per-record step that appends the key
 *           to the value (SourceBuilderUtils.AddKeyAndPseudoColumnsProcessor),
 *           so that a side's key column is NULL when that side is absent.
 *   table:  builder.table(topic), then transformValues into a materialized
 *           store (SourceBuilder.buildKTable, forced materialization), then a
 *           second, unmaterialized transformValues that appends the key
 *           (AddRemainingPseudoAndKeyCols).
 * Join values are {"L": left row or null, "R": right row or null}, built by
 * the joiner the way KsqlValueJoiner lays out left columns then right ones.
 */
package sluice.kstreams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.function.Function;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.EmitStrategy;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.Joined;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.SessionWindowedKStream;
import org.apache.kafka.streams.kstream.SessionWindows;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.streams.kstream.TimeWindowedKStream;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.ValueJoiner;
import org.apache.kafka.streams.kstream.ValueTransformerWithKey;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.kstream.WindowedSerdes;
import org.apache.kafka.streams.processor.ProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.SessionStore;
import org.apache.kafka.streams.state.WindowStore;

final class Topologies {
  /** Name of the field holding a side's copy of its key column. */
  static final String KEY_FIELD = "__KEY__";

  /** StreamAggregateBuilder.DEFAULT_24_HR_GRACE_PERIOD. */
  static final long DEFAULT_24_HR_GRACE_MS = 24L * 60 * 60 * 1000;

  private Topologies() {
  }

  // ---------------------------------------------------------------- sources

  static KStream<Object, ObjectNode> stream(
      final StreamsBuilder builder, final String topic, final Serde<Object> keySerde) {
    return builder
        .stream(topic, Consumed.with(keySerde, Serdes2.JSON))
        .processValues(AddKey::new);
  }

  static KTable<Object, ObjectNode> table(
      final StreamsBuilder builder, final String topic, final Serde<Object> keySerde) {
    final KTable<Object, ObjectNode> source =
        builder.table(topic, Consumed.with(keySerde, Serdes2.JSON));
    final Materialized<Object, ObjectNode, KeyValueStore<Bytes, byte[]>> materialized =
        Materialized.<Object, ObjectNode, KeyValueStore<Bytes, byte[]>>as(
                topic + "-Reduce")
            .withKeySerde(keySerde)
            .withValueSerde(Serdes2.JSON);
    return source
        .transformValues(Identity::new, materialized)
        .transformValues(AddKeyToTableRow::new);
  }

  /** AddKeyAndPseudoColumnsProcessor: null rows pass through untouched. */
  private static final class AddKey implements FixedKeyProcessor<Object, ObjectNode, ObjectNode> {
    private FixedKeyProcessorContext<Object, ObjectNode> context;

    @Override
    public void init(final FixedKeyProcessorContext<Object, ObjectNode> context) {
      this.context = context;
    }

    @Override
    public void process(final FixedKeyRecord<Object, ObjectNode> record) {
      if (record.value() == null) {
        context.forward(record);
        return;
      }
      context.forward(record.withValue(withKey(record.value(), record.key())));
    }
  }

  /** AddPseudoColumnsToMaterialize, less the pseudo columns nobody reads here. */
  private static final class Identity
      implements ValueTransformerWithKey<Object, ObjectNode, ObjectNode> {
    @Override
    public void init(final ProcessorContext context) {
    }

    @Override
    public ObjectNode transform(final Object key, final ObjectNode value) {
      return value;
    }

    @Override
    public void close() {
    }
  }

  /** AddRemainingPseudoAndKeyCols: appends the key; null rows stay null. */
  private static final class AddKeyToTableRow
      implements ValueTransformerWithKey<Object, ObjectNode, ObjectNode> {
    @Override
    public void init(final ProcessorContext context) {
    }

    @Override
    public ObjectNode transform(final Object key, final ObjectNode value) {
      return value == null ? null : withKey(value, key);
    }

    @Override
    public void close() {
    }
  }

  private static ObjectNode withKey(final ObjectNode row, final Object key) {
    final ObjectNode out = row.deepCopy();
    out.set(KEY_FIELD, Serdes2.MAPPER.valueToTree(key));
    return out;
  }

  private static ObjectNode joined(final ObjectNode left, final ObjectNode right) {
    final ObjectNode out = Serdes2.MAPPER.createObjectNode();
    out.set("L", left);
    out.set("R", right);
    return out;
  }

  /** The joiner for the side order Kafka Streams sees. */
  private static ValueJoiner<ObjectNode, ObjectNode, ObjectNode> joiner(final boolean swapped) {
    return swapped ? (r, l) -> joined(l, r) : Topologies::joined;
  }

  // ----------------------------------------------------- windowed aggregation

  /** Window clause of the spec. */
  static final class Window {
    String type;
    long size;
    long advance;
    Long grace;
    Long retention;
    boolean emitFinal;

    /**
     * The grace Kafka Streams is given. EMIT FINAL without a GRACE clause:
     * RewrittenAnalysis.getWindowExpression puts a zero grace into the window
     * before planning. Otherwise StreamAggregateBuilder.defaultGrace:
     * max(24h - size, 0), size being the gap for SESSION.
     */
    long effectiveGrace() {
      if (grace != null) {
        return grace;
      }
      if (emitFinal) {
        return 0L;
      }
      return Math.max(DEFAULT_24_HR_GRACE_MS - size, 0L);
    }
  }

  /**
   * StreamAggregateBuilder.WindowedAggregator (visitTumbling/Hopping/Session
   * WindowExpression): groupByKey (GROUP BY the key column), windowedBy,
   * emitStrategy(onWindowClose) for EMIT FINAL, aggregate into a store named
   * by MaterializedFactory with the RETENTION clause as withRetention, then
   * the result mapper and WindowBoundsPopulator as KTable value transforms,
   * toStream and the sink (TableSinkBuilder/SinkBuilder).
   */
  static void windowAgg(
      final StreamsBuilder builder,
      final Serde<Object> keySerde,
      final Window w,
      final Aggregations aggs,
      final String inTopic,
      final String outTopic) {
    final KGroupedStream<Object, ObjectNode> grouped = stream(builder, inTopic, keySerde)
        .groupByKey(Grouped.with(keySerde, Serdes2.JSON));
    final Duration size = Duration.ofMillis(w.size);
    final Duration grace = Duration.ofMillis(w.effectiveGrace());
    final KTable<Windowed<Object>, ObjectNode> aggregated;
    switch (w.type) {
      case "TUMBLING":
      case "HOPPING": {
        TimeWindows windows = TimeWindows.ofSizeAndGrace(size, grace);
        if (w.type.equals("HOPPING")) {
          windows = windows.advanceBy(Duration.ofMillis(w.advance));
        }
        TimeWindowedKStream<Object, ObjectNode> windowed = grouped.windowedBy(windows);
        if (w.emitFinal) {
          windowed = windowed.emitStrategy(EmitStrategy.onWindowClose());
        }
        Materialized<Object, ObjectNode, WindowStore<Bytes, byte[]>> mat =
            Materialized.<Object, ObjectNode, WindowStore<Bytes, byte[]>>as(
                    "Aggregate-Aggregate-Materialize")
                .withKeySerde(keySerde)
                .withValueSerde(Serdes2.JSON);
        if (w.retention != null) {
          mat = mat.withRetention(Duration.ofMillis(w.retention));
        }
        aggregated = windowed.aggregate(aggs::initial, (k, v, agg) -> aggs.add(v, agg), mat);
        break;
      }
      case "SESSION": {
        SessionWindowedKStream<Object, ObjectNode> windowed =
            grouped.windowedBy(SessionWindows.ofInactivityGapAndGrace(size, grace));
        if (w.emitFinal) {
          windowed = windowed.emitStrategy(EmitStrategy.onWindowClose());
        }
        Materialized<Object, ObjectNode, SessionStore<Bytes, byte[]>> mat =
            Materialized.<Object, ObjectNode, SessionStore<Bytes, byte[]>>as(
                    "Aggregate-Aggregate-Materialize")
                .withKeySerde(keySerde)
                .withValueSerde(Serdes2.JSON);
        if (w.retention != null) {
          mat = mat.withRetention(Duration.ofMillis(w.retention));
        }
        aggregated = windowed.aggregate(
            aggs::initial, (k, v, agg) -> aggs.add(v, agg), (k, a, b) -> aggs.merge(a, b), mat);
        break;
      }
      default:
        throw new IllegalArgumentException("unknown window type " + w.type);
    }
    aggregated
        .transformValues(ResultMapper::new)
        .toStream()
        .to(outTopic, Produced.with(windowedSerde(keySerde, w), Serdes2.JSON));
  }

  /** KudafAggregator.ResultTransformer: null stays null (a tombstone). */
  private static final class ResultMapper
      implements ValueTransformerWithKey<Windowed<Object>, ObjectNode, ObjectNode> {
    @Override
    public void init(final ProcessorContext context) {
    }

    @Override
    public ObjectNode transform(final Windowed<Object> key, final ObjectNode value) {
      return value == null ? null : value.deepCopy();
    }

    @Override
    public void close() {
    }
  }

  /** WindowedSerdes built around the key column's own serde. */
  static Serde<Windowed<Object>> windowedSerde(final Serde<Object> keySerde, final Window w) {
    if (w.type.equals("SESSION")) {
      return new WindowedSerdes.SessionWindowedSerde<>(keySerde);
    }
    return new WindowedSerdes.TimeWindowedSerde<>(keySerde, w.size);
  }

  // ------------------------------------------------------------------- joins

  /**
   * StreamStreamJoinBuilder: with a GRACE clause
   * JoinWindows.ofTimeDifferenceAndGrace(before, grace) (spurious-result fix
   * on: outer rows wait in a store until the window closes), without it the
   * deprecated JoinWindows.of(before) (grace max(24h - 2 * before, 0), outer
   * rows emitted at once); then .after(after) in both cases. RIGHT runs
   * R.leftJoin(L) with the same windows object.
   */
  @SuppressWarnings("deprecation")
  static void streamStreamJoin(
      final StreamsBuilder builder,
      final Serde<Object> keySerde,
      final String type,
      final long before,
      final long after,
      final Long grace,
      final String outTopic) {
    final KStream<Object, ObjectNode> left = stream(builder, "L", keySerde);
    final KStream<Object, ObjectNode> right = stream(builder, "R", keySerde);
    JoinWindows windows = grace != null
        ? JoinWindows.ofTimeDifferenceAndGrace(Duration.ofMillis(before), Duration.ofMillis(grace))
        : JoinWindows.of(Duration.ofMillis(before));
    windows = windows.after(Duration.ofMillis(after));
    final StreamJoined<Object, ObjectNode, ObjectNode> joinedWith =
        StreamJoined.with(keySerde, Serdes2.JSON, Serdes2.JSON).withName("Join");
    final KStream<Object, ObjectNode> result;
    switch (type) {
      case "INNER":
        result = left.join(right, joiner(false), windows, joinedWith);
        break;
      case "LEFT":
        result = left.leftJoin(right, joiner(false), windows, joinedWith);
        break;
      case "RIGHT":
        result = right.leftJoin(left, joiner(true), windows, joinedWith);
        break;
      case "FULL":
      case "OUTER":
        result = left.outerJoin(right, joiner(false), windows, joinedWith);
        break;
      default:
        throw new IllegalArgumentException("unknown join type " + type);
    }
    result.to(outTopic, Produced.with(keySerde, Serdes2.JSON));
  }

  /** StreamTableJoinBuilder: INNER = join, LEFT = leftJoin, Joined.with(key, left, null). */
  static void streamTableJoin(
      final StreamsBuilder builder,
      final Serde<Object> keySerde,
      final String type,
      final String outTopic) {
    final KStream<Object, ObjectNode> left = stream(builder, "L", keySerde);
    final KTable<Object, ObjectNode> right = table(builder, "R", keySerde);
    final Joined<Object, ObjectNode, ObjectNode> joinedWith =
        Joined.with(keySerde, Serdes2.JSON, null, "Join");
    final KStream<Object, ObjectNode> result;
    switch (type) {
      case "INNER":
        result = left.join(right, joiner(false), joinedWith);
        break;
      case "LEFT":
        result = left.leftJoin(right, joiner(false), joinedWith);
        break;
      default:
        throw new IllegalArgumentException("stream-table join type " + type);
    }
    result.to(outTopic, Produced.with(keySerde, Serdes2.JSON));
  }

  /** TableTableJoinBuilder: RIGHT runs R.leftJoin(L); sink is toStream(). */
  static void tableTableJoin(
      final StreamsBuilder builder,
      final Serde<Object> keySerde,
      final String type,
      final String outTopic) {
    final KTable<Object, ObjectNode> left = table(builder, "L", keySerde);
    final KTable<Object, ObjectNode> right = table(builder, "R", keySerde);
    final KTable<Object, ObjectNode> result;
    switch (type) {
      case "INNER":
        result = left.join(right, joiner(false));
        break;
      case "LEFT":
        result = left.leftJoin(right, joiner(false));
        break;
      case "RIGHT":
        result = right.leftJoin(left, joiner(true));
        break;
      case "FULL":
      case "OUTER":
        result = left.outerJoin(right, joiner(false));
        break;
      default:
        throw new IllegalArgumentException("unknown join type " + type);
    }
    result.toStream().to(outTopic, Produced.with(keySerde, Serdes2.JSON));
  }

  /**
   * ForeignKeyTableTableJoinBuilder: L.join / L.leftJoin(R, extractor, joiner,
   * Materialized.with(key, value)); the extractor evaluates the FK column and
   * yields null for a null column (ForeignKeyJoinParamsFactory).
   */
  static void foreignKeyJoin(
      final StreamsBuilder builder,
      final Serde<Object> leftKeySerde,
      final Serde<Object> rightKeySerde,
      final Serdes2.KeyType rightKeyType,
      final String fkColumn,
      final String type,
      final String outTopic) {
    final KTable<Object, ObjectNode> left = table(builder, "L", leftKeySerde);
    final KTable<Object, ObjectNode> right = table(builder, "R", rightKeySerde);
    final Function<ObjectNode, Object> extractor = v -> {
      final JsonNode fk = v.get(fkColumn);
      return rightKeyType.fromJson(fk);
    };
    final Materialized<Object, ObjectNode, KeyValueStore<Bytes, byte[]>> mat =
        Materialized.with(leftKeySerde, Serdes2.JSON);
    final KTable<Object, ObjectNode> result;
    switch (type) {
      case "INNER":
        result = left.join(right, extractor, Topologies::joined, mat);
        break;
      case "LEFT":
        result = left.leftJoin(right, extractor, Topologies::joined, mat);
        break;
      default:
        throw new IllegalArgumentException("foreign-key join type " + type);
    }
    result.toStream().to(outTopic, Produced.with(leftKeySerde, Serdes2.JSON));
  }
}

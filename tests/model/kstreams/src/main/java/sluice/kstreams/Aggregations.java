/*
 * The aggregate functions of a windowed aggregation, as ksqlDB's UDAFs
 * define them (CountKudaf, LongSumKudaf, MinKudaf/MaxKudaf over
 * BaseComparableKudaf): initial value, per-record step, and the session
 * merger that ksqlDB's KudafAggregator.getMerger() applies column by column.
 *
 *   COUNT(*)  initial 0, +1 per record           merge a + b
 *   COUNT(x)  initial 0, +1 per non-null x       merge a + b
 *   SUM(x)    initial 0, + x, nulls skipped      merge a + b
 *   MIN/MAX   initial null, nulls skipped        merge min/max ignoring null
 *
 * The aggregate row is a JSON object holding one field per output column.
 */
package sluice.kstreams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

final class Aggregations {

  /** One output column: function, argument column (null for COUNT(*)), name. */
  static final class Column {
    final String fn;
    final String arg;
    final String as;

    Column(final String fn, final String arg, final String as) {
      this.fn = fn;
      this.arg = arg;
      this.as = as;
    }
  }

  private final List<Column> columns;

  private Aggregations(final List<Column> columns) {
    this.columns = columns;
  }

  /** The brief's default: COUNT(*) AS C, SUM(V) AS S. */
  static Aggregations parse(final JsonNode spec) {
    final List<Column> cols = new ArrayList<>();
    if (spec == null || spec.isNull()) {
      cols.add(new Column("COUNT", null, "C"));
      cols.add(new Column("SUM", "V", "S"));
    } else {
      for (final JsonNode c : (ArrayNode) spec) {
        final String fn = c.get("fn").asText().toUpperCase();
        final JsonNode arg = c.get("arg");
        final String argName = arg == null || arg.isNull() ? null : arg.asText();
        if (!fn.equals("COUNT") && !fn.equals("SUM") && !fn.equals("MIN") && !fn.equals("MAX")) {
          throw new IllegalArgumentException("unsupported aggregate " + fn);
        }
        if (argName == null && !fn.equals("COUNT")) {
          throw new IllegalArgumentException(fn + " needs an argument");
        }
        cols.add(new Column(fn, argName, c.get("as").asText()));
      }
    }
    return new Aggregations(cols);
  }

  ObjectNode initial() {
    final ObjectNode agg = Serdes2.MAPPER.createObjectNode();
    for (final Column c : columns) {
      if (c.fn.equals("COUNT") || c.fn.equals("SUM")) {
        agg.put(c.as, 0L);
      } else {
        agg.putNull(c.as);
      }
    }
    return agg;
  }

  ObjectNode add(final ObjectNode row, final ObjectNode aggIn) {
    if (row == null) {
      // ksqlDB's KudafAggregator reads columns of the row unguarded: a
      // null-valued stream record grouped by key makes the query fail.
      throw new IllegalStateException("null value reached the aggregator");
    }
    final ObjectNode agg = aggIn.deepCopy();
    for (final Column c : columns) {
      final JsonNode v = c.arg == null ? null : row.get(c.arg);
      final boolean absent = v == null || v.isNull();
      switch (c.fn) {
        case "COUNT":
          if (c.arg == null || !absent) {
            agg.put(c.as, agg.get(c.as).asLong() + 1);
          }
          break;
        case "SUM":
          if (!absent) {
            agg.put(c.as, agg.get(c.as).asLong() + v.asLong());
          }
          break;
        default:
          if (!absent) {
            agg.set(c.as, pick(c.fn, agg.get(c.as), v));
          }
          break;
      }
    }
    return agg;
  }

  ObjectNode merge(final ObjectNode one, final ObjectNode two) {
    final ObjectNode out = Serdes2.MAPPER.createObjectNode();
    for (final Column c : columns) {
      final JsonNode a = one.get(c.as);
      final JsonNode b = two.get(c.as);
      if (c.fn.equals("COUNT") || c.fn.equals("SUM")) {
        out.put(c.as, a.asLong() + b.asLong());
      } else {
        out.set(c.as, pick(c.fn, a, b));
      }
    }
    return out;
  }

  private static JsonNode pick(final String fn, final JsonNode agg, final JsonNode v) {
    if (agg == null || agg.isNull()) {
      return v;
    }
    if (v == null || v.isNull()) {
      return agg;
    }
    final int cmp = compare(agg, v);
    if (fn.equals("MIN")) {
      return cmp <= 0 ? agg : v;
    }
    return cmp >= 0 ? agg : v;
  }

  private static int compare(final JsonNode a, final JsonNode b) {
    if (a.isIntegralNumber() && b.isIntegralNumber()) {
      return Long.compare(a.asLong(), b.asLong());
    }
    if (a.isNumber() && b.isNumber()) {
      return Double.compare(a.asDouble(), b.asDouble());
    }
    return a.asText().compareTo(b.asText());
  }
}

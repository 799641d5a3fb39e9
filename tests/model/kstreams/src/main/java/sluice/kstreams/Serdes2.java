/*
 * Serdes of the reference harness.
 *
 * Keys use ksqlDB's KAFKA key format for a single key column: the plain Kafka
 * serializer of the column's type (BIGINT = 8 bytes big-endian, INT = 4 bytes,
 * STRING = UTF-8). The byte form matters: Kafka Streams orders its window,
 * session and outer-join stores by these bytes, so emission order follows it.
 * Values are JSON objects (Jackson trees); their byte form does not influence
 * any result, it only has to round-trip through the stores.
 */
package sluice.kstreams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

public final class Serdes2 {
  static final ObjectMapper MAPPER = new ObjectMapper();

  private Serdes2() {
  }

  /** A key column type of the KAFKA key format. */
  enum KeyType {
    BIGINT, INT, STRING;

    static KeyType parse(final String name) {
      if (name == null) {
        return BIGINT;
      }
      switch (name.toUpperCase()) {
        case "BIGINT":
          return BIGINT;
        case "INT":
        case "INTEGER":
          return INT;
        case "STRING":
        case "VARCHAR":
          return STRING;
        default:
          throw new IllegalArgumentException("unsupported key type " + name);
      }
    }

    /** The Java key of a JSON key (null stays null). */
    Object fromJson(final JsonNode node) {
      if (node == null || node.isNull()) {
        return null;
      }
      switch (this) {
        case BIGINT:
          return node.asLong();
        case INT:
          return node.asInt();
        default:
          return node.isTextual() ? node.textValue() : node.toString();
      }
    }

    @SuppressWarnings("unchecked")
    Serde<Object> serde() {
      final Serde<?> inner;
      switch (this) {
        case BIGINT:
          inner = Serdes.Long();
          break;
        case INT:
          inner = Serdes.Integer();
          break;
        default:
          inner = Serdes.String();
          break;
      }
      return (Serde<Object>) inner;
    }
  }

  /** JSON object values; a null value is a tombstone (null bytes). */
  public static final class JsonSerde implements Serde<ObjectNode> {
    public JsonSerde() {
    }

    @Override
    public Serializer<ObjectNode> serializer() {
      return (topic, value) -> {
        if (value == null) {
          return null;
        }
        try {
          return MAPPER.writeValueAsBytes(value);
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      };
    }

    @Override
    public Deserializer<ObjectNode> deserializer() {
      return (topic, bytes) -> {
        if (bytes == null) {
          return null;
        }
        try {
          final JsonNode node = MAPPER.readTree(bytes);
          return node == null || node.isNull() ? null : (ObjectNode) node;
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      };
    }
  }

  static final JsonSerde JSON = new JsonSerde();
}

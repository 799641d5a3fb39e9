"""Formats as ksqlDB's test runner sees them: test-file JSON <-> typed rows.

A test file gives each record's key and value as JSON. ksqlDB's runner turns
them into bytes with the topic's format and its deserializers turn the bytes
into a row, coercing or rejecting values by their SQL type; on the way out
the serializer writes the row and the runner shows it as JSON again. This
module is the reference for that round trip, written from ksqlDB's
deserializers (KsqlJsonDeserializer and JsonSerdeUtils, KsqlDelimited-
Deserializer on Apache Commons CSV, the KAFKA format's Kafka serdes) and its
test runner's serializers (ValueSpecJsonSerdeSupplier, KafkaSerdeSupplier,
SpecToConnectConverter for AVRO). docs/coercion.md tabulates the rules.

Three outcomes for a value:
- accepted, converted as the deserializer converts it;
- DecodeError: ksqlDB rejects the record (processing log, record skipped);
- OutOfScope: the case is not one ksqlDB's runner can run (its own
  serializer throws before ksqlDB sees the record, e.g. the string "1" for a
  KAFKA INT key), or a corner this model does not cover; never guessed.

Row values: None, bool, int (INT, BIGINT, TIMESTAMP millis, DATE days, TIME
millis), float (DOUBLE), Decimal (DECIMAL, at the column's scale), str,
bytes (BYTES), list (ARRAY), dict (MAP; STRUCT with every field).

Numbers in a test file reach ksqlDB as the text Python's json module writes
(repr of a float): Jackson reads a number with a fraction or an exponent as
an exact BigDecimal of that text, an integer as an int/long/BigInteger.

Checked against ksqlDB's corpus with the `coercion` family (serdes, json,
delimited, avro, kafka, formats, decimal, bytes, timestamp, date, time):
every case in scope agrees. One runner quirk is modelled rather than
explained away: the runner compares an expected string with a number it
reads back as a BigDecimal by BigDecimal.equals ("3.2" equals a DECIMAL
3.2), so such numbers are RunnerDecimal here and compare.py honours it.
"""
import base64
import decimal
import math
import re
from decimal import Decimal

from ksql import OutOfScope


class DecodeError(Exception):
    pass


_CTX = decimal.Context(prec=400, Emax=999999, Emin=-999999)


def _wrap(v, bits):
    """Java's narrowing of an integer to its low bits (long -> int, BigInteger.intValue)."""
    m = 1 << bits
    return (v + (m >> 1)) % m - (m >> 1)


def _is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _exact(v):
    """The BigDecimal Jackson reads from the text json.dump writes for float v.
    BigDecimal has no negative zero."""
    if not math.isfinite(v):
        raise OutOfScope("a non-finite JSON number (not JSON)")
    d = Decimal(repr(v))
    return abs(d) if d == 0 else d


def _trunc(v):
    """A JSON number's integer part (BigDecimal.toBigInteger)."""
    if isinstance(v, int):
        return v
    return int(_exact(v))


def _decimal_value(v):
    return Decimal(v) if isinstance(v, int) else _exact(v)


def _number_text(v):
    """JsonNode.asText() of a number node: Integer/Long/BigInteger.toString,
    BigDecimal.toString (scientific notation as Java writes it)."""
    if isinstance(v, int):
        return str(v)
    return str(_exact(v))


# ---------------------------------------------------------------- Java parsers

_JAVA_INT = re.compile(r"[+-]?[0-9]+\Z")
_JAVA_DOUBLE = re.compile(r"[+-]?(NaN|Infinity|([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?[fFdD]?)\Z")
_JAVA_HEX_DOUBLE = re.compile(r"([+-]?)0[xX]([0-9a-fA-F]*\.?[0-9a-fA-F]*)[pP]([+-]?[0-9]+)[fFdD]?\Z")
_JAVA_BIGDECIMAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\Z")


def _non_ascii(s):
    return any(ord(c) > 127 for c in s)


def parse_java_int(s, bits):
    """Integer.parseInt / Long.parseLong: optional sign, digits, in range."""
    if _non_ascii(s):
        raise OutOfScope("non-ASCII digits")
    if not _JAVA_INT.match(s):
        return None
    v = int(s)
    lim = 1 << (bits - 1)
    return v if -lim <= v < lim else None


def _java_trim(s):
    """String.trim(): every char up to U+0020 off both ends."""
    i, j = 0, len(s)
    while i < j and s[i] <= " ":
        i += 1
    while j > i and s[j - 1] <= " ":
        j -= 1
    return s[i:j]


def parse_java_double(s):
    """Double.parseDouble: trimmed; NaN, Infinity, decimal or hexadecimal
    floating point with an optional f/d suffix."""
    t = _java_trim(s)
    if _non_ascii(t):
        raise OutOfScope("non-ASCII digits")
    m = _JAVA_HEX_DOUBLE.match(t)
    if m:
        if not any(c in "0123456789abcdefABCDEF" for c in m.group(2)):
            return None
        try:
            v = float.fromhex("%s0x%sp%s" % (m.group(1), m.group(2) or "0", m.group(3)))
        except (ValueError, OverflowError):
            raise OutOfScope("hexadecimal double out of range")
        return v
    m = _JAVA_DOUBLE.match(t)
    if not m:
        return None
    body = t.rstrip("fFdD") if not t.endswith(("NaN", "Infinity")) else t
    if body.lstrip("+-") == "NaN":
        return float("nan")
    if body.lstrip("+-") == "Infinity":
        return float("-inf") if body.startswith("-") else float("inf")
    return float(body)


def parse_java_bigdecimal(s):
    """new BigDecimal(String): no whitespace, no NaN."""
    if _non_ascii(s):
        raise OutOfScope("non-ASCII digits")
    if not _JAVA_BIGDECIMAL.match(s):
        return None
    d = Decimal(s)
    return abs(d) if d == 0 else d


def ensure_fit(d, t, where):
    """DecimalUtil.ensureFit: |d| < 10^(precision - scale), and d has no
    digit beyond the scale (no rounding); the result carries the scale."""
    p, s = t.params
    if abs(d) >= Decimal(10) ** (p - s):
        raise DecodeError("%s: %s overflows %s" % (where, d, t))
    q = d.quantize(Decimal(1).scaleb(-s), rounding=decimal.ROUND_DOWN, context=_CTX)
    if q != d:
        raise DecodeError("%s: %s does not fit %s without rounding" % (where, d, t))
    return q


def decimal_cast_half_up(s, t):
    """DecimalUtil.cast(String, p, s): trimmed, HALF_UP to the scale, the
    integer digits checked (an ArithmeticException otherwise)."""
    d = parse_java_bigdecimal(s.strip())
    if d is None:
        return None
    p, sc = t.params
    if abs(d) >= Decimal(10) ** (p - sc):
        return None
    return d.quantize(Decimal(1).scaleb(-sc), rounding=decimal.ROUND_HALF_UP, context=_CTX)


_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_VALUE = {c: i for i, c in enumerate(_B64)}


def jackson_base64(s):
    """TextNode.binaryValue(): the text trimmed, then Jackson's MIME (no line
    feeds) variant: white space allowed before each 4-char unit, padding
    required, units may follow a padded one. None when invalid."""
    s = _java_trim(s)
    out = bytearray()
    i, n = 0, len(s)
    while i < n:
        ch = s[i]
        i += 1
        while i < n and ch <= " ":
            ch = s[i]
            i += 1
        if ch not in _B64_VALUE:
            return None
        data = _B64_VALUE[ch]
        if i >= n or s[i] not in _B64_VALUE:
            return None
        data = data << 6 | _B64_VALUE[s[i]]
        i += 1
        if i >= n:
            return None
        ch = s[i]
        i += 1
        if ch not in _B64_VALUE:
            if ch != "=" or i >= n or s[i] != "=":
                return None
            i += 1
            out.append(data >> 4 & 0xFF)
            continue
        data = data << 6 | _B64_VALUE[ch]
        if i >= n:
            return None
        ch = s[i]
        i += 1
        if ch not in _B64_VALUE:
            if ch != "=":
                return None
            data >>= 2
            out += bytes([data >> 8 & 0xFF, data & 0xFF])
        else:
            data = data << 6 | _B64_VALUE[ch]
            out += bytes([data >> 16 & 0xFF, data >> 8 & 0xFF, data & 0xFF])
    return bytes(out)


def java_base64(s):
    """java.util.Base64.getDecoder(): the basic alphabet only, no white
    space; padding optional, but when present it must complete the last
    unit and nothing may follow it. None when invalid."""
    if "=" in s:
        body = s.rstrip("=")
        pad = len(s) - len(body)
        if "=" in body or pad > 2 or len(s) % 4 or (len(body) % 4) + pad != 4:
            return None
    else:
        body = s
    if any(c not in _B64_VALUE for c in body) or len(body) % 4 == 1:
        return None
    bits, nbits, out = 0, 0, bytearray()
    for c in body:
        bits = bits << 6 | _B64_VALUE[c]
        nbits += 6
        if nbits >= 8:
            nbits -= 8
            out.append(bits >> nbits & 0xFF)
    return bytes(out)


def b64encode(b):
    return base64.b64encode(b).decode("ascii")


# ---------------------------------------------------------------- Java text

def java_double_text(d):
    """Double.toString: the shortest digits that read back as d; plain
    notation from 1e-3 up to 1e7, else d.dddE[-]n."""
    if d != d:
        return "NaN"
    if math.isinf(d):
        return "Infinity" if d > 0 else "-Infinity"
    if d == 0:
        return "-0.0" if math.copysign(1, d) < 0 else "0.0"
    sign = "-" if d < 0 else ""
    dec = Decimal(repr(abs(d)))
    digits = "".join(map(str, dec.as_tuple().digits)).strip("0") or "0"
    exp = dec.adjusted()                      # the power of ten of the first digit
    if 1e-3 <= abs(d) < 1e7:
        if exp >= 0:
            return sign + digits[:exp + 1].ljust(exp + 1, "0") + "." + (digits[exp + 1:] or "0")
        return sign + "0." + "0" * (-exp - 1) + digits
    return sign + digits[0] + "." + (digits[1:] or "0") + "E" + str(exp)


def jackson_json(v):
    """Jackson's compact JSON text of a value read from a test file
    (ObjectMapper.writeValueAsString of the tree): BigDecimal numbers by
    their toString, strings with Jackson's escapes."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return _number_text(v)
    if isinstance(v, str):
        return _jackson_string(v)
    if isinstance(v, list):
        return "[" + ",".join(jackson_json(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(_jackson_string(k) + ":" + jackson_json(x) for k, x in v.items()) + "}"
    raise OutOfScope("JSON text of %r" % (v,))


_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\f": "\\f", "\n": "\\n", "\r": "\\r"}


def _jackson_string(s):
    out = []
    for c in s:
        if c in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[c])
        elif c < " ":
            out.append("\\u%04X" % ord(c))
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


# ---------------------------------------------------------------- JSON values

def _kind(v):
    if v is None:
        return "NullNode"
    if isinstance(v, bool):
        return "BooleanNode"
    if isinstance(v, int):
        return "IntNode"
    if isinstance(v, float):
        return "DecimalNode"
    if isinstance(v, str):
        return "TextNode"
    if isinstance(v, list):
        return "ArrayNode"
    if isinstance(v, dict):
        return "ObjectNode"
    raise OutOfScope("JSON value %r" % (v,))


def _reject(where, v, t):
    raise DecodeError("%s: Can't convert type. sourceType: %s, requiredType: %s" % (where, _kind(v), t))


def struct_field(obj, name):
    """A JSON object's field for a column or struct field: the exact name,
    else the name among the object's keys upper-cased (ksqlDB's columns are
    upper-case unless quoted)."""
    if name in obj:
        return obj[name]
    upper = {}
    for k, v in obj.items():
        upper[k.upper()] = v
    return upper.get(name)


def _json_to(t, v, where):
    """A JSON value read as SQL type t, as KsqlJsonDeserializer does."""
    if v is None:
        return None
    n = t.name
    if n == "BOOLEAN":
        if isinstance(v, bool):
            return v
        _reject(where, v, t)
    if n in ("INT", "BIGINT", "TIMESTAMP", "DATE", "TIME"):
        bits = 32 if n == "INT" else 64
        if _is_num(v):
            # NumericNode.intValue()/asLong(): the fraction truncated, the
            # integer narrowed to its low bits
            x = _wrap(_trunc(v), bits)
        elif isinstance(v, str):
            x = parse_java_int(v, bits)
            if x is None:
                raise DecodeError("%s: Can't coerce string to type. targetType: %s" % (where, n))
        else:
            _reject(where, v, t)
        if n == "TIME" and not 0 <= x <= 86400000:
            raise DecodeError("%s: Time values must use number of milliseconds greater than 0 and less than "
                              "86400000." % where)
        if n == "TIME" and x == 86400000:
            raise OutOfScope("TIME 86400000 (ksqlDB accepts it but Connect cannot write it)")
        if n == "DATE" and not -2 ** 31 <= x < 2 ** 31:
            raise OutOfScope("DATE beyond the int range")
        return x
    if n == "DOUBLE":
        if _is_num(v):
            return float(v)
        if isinstance(v, str):
            x = parse_java_double(v)
            if x is None:
                raise DecodeError("%s: Can't coerce string to type. targetType: DOUBLE" % where)
            return x
        _reject(where, v, t)
    if n == "STRING":
        return _json_text(v)
    if n == "DECIMAL":
        if _is_num(v):
            return ensure_fit(_decimal_value(v), t, where)
        if isinstance(v, str):
            d = parse_java_bigdecimal(v)
            if d is None:
                raise DecodeError("%s: %r is not a number" % (where, v))
            return ensure_fit(d, t, where)
        _reject(where, v, t)
    if n == "BYTES":
        if isinstance(v, str):
            b = jackson_base64(v)
            if b is None:
                raise DecodeError("%s: Value is not a valid Base64 encoded string: %s" % (where, v))
            return b
        _reject(where, v, t)
    if n == "ARRAY":
        if not isinstance(v, list):
            _reject(where, v, t)
        return [_json_to(t.params[0], x, "%s[%d]" % (where, i)) for i, x in enumerate(v)]
    if n == "MAP":
        if t.params[0].name != "STRING":
            raise OutOfScope("JSON MAP with non-STRING keys (ksqlDB rejects the statement)")
        if not isinstance(v, dict):
            _reject(where, v, t)
        return {k: _json_to(t.params[1], x, "%s.%s" % (where, k)) for k, x in v.items()}
    if n == "STRUCT":
        if not isinstance(v, dict):
            _reject(where, v, t)
        return {f: _json_to(ft, struct_field(v, f), "%s.%s" % (where, f)) for f, ft in t.params}
    raise OutOfScope("JSON column of type %s" % t)


def _json_text(v):
    """A JSON value read as STRING: text as is, numbers and booleans by
    JsonNode.asText(), an object as Jackson's compact JSON, an array as
    its elements read as STRING, "[a, b, null]"."""
    if v is None:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return _number_text(v)
    if isinstance(v, dict):
        return jackson_json(v)
    if isinstance(v, list):
        return "[" + ", ".join("null" if x is None else _json_text(x) for x in v) + "]"
    raise OutOfScope("JSON value %r" % (v,))


class RunnerDecimal(float):
    """A number the test runner reads back as a BigDecimal (a JSON number
    with a fraction, an AVRO DECIMAL), with that BigDecimal's text: the
    runner also accepts an expected string equal to it (compare.same)."""

    def __new__(cls, value, text):
        x = float.__new__(cls, value)
        x.text = text
        return x


def _decimal_out(v):
    if v.as_tuple().exponent >= 0:
        return int(v)                         # no fraction: the runner reads an int
    return RunnerDecimal(v, str(v))


def _to_json(t, v):
    """A row value as ksqlDB's JSON serializer writes it and the runner
    reads it back."""
    if v is None:
        return None
    n = t.name if t is not None else None
    if n == "DOUBLE" or isinstance(v, float):
        if not math.isfinite(v):
            return java_double_text(v)       # Jackson quotes NaN and the infinities
        return RunnerDecimal(v, java_double_text(v))
    if n == "DECIMAL" or isinstance(v, Decimal):
        return _decimal_out(v)
    if n == "BYTES" or isinstance(v, bytes):
        return b64encode(v)
    if n == "ARRAY":
        return [_to_json(t.params[0], x) for x in v]
    if n == "MAP":
        return {k: _to_json(t.params[1], x) for k, x in v.items()}
    if n == "STRUCT":
        return {f: _to_json(ft, v.get(f)) for f, ft in t.params}
    if isinstance(v, (bool, int, str)):
        return v
    if t is None and isinstance(v, list):
        return [_to_json(None, x) for x in v]
    raise OutOfScope("writing a %s as JSON" % t)


# ---------------------------------------------------------------- DELIMITED

def _java_whitespace(c):
    """Character.isWhitespace, for the characters a test writes."""
    return c in " \t\n\x0b\f\r\x1c\x1d\x1e\x1f" or (c in "\u1680\u2028\u2029\u205f\u3000"
                                                   or "\u2000" <= c <= "\u2006" or "\u2008" <= c <= "\u200a")


def csv_fields(text, delimiter, where):
    """The first record of text as Apache Commons CSV's DEFAULT format with
    the delimiter reads it: a field that starts with '"' is quoted ("" is
    a quote inside it; white space may follow the closing quote, anything
    else fails); other fields run to the next delimiter, spaces kept."""
    if "\n" in text or "\r" in text:
        raise OutOfScope("DELIMITED text with line breaks")
    if text == "":
        raise DecodeError("%s: No fields in record" % where)
    fields, i, n = [], 0, len(text)
    while True:
        if i < n and text[i] == '"':
            i += 1
            buf = []
            while True:
                if i >= n:
                    raise DecodeError("%s: EOF reached before encapsulated token finished" % where)
                c = text[i]
                i += 1
                if c == '"':
                    if i < n and text[i] == '"':
                        buf.append('"')
                        i += 1
                        continue
                    while i < n and text[i] != delimiter:
                        if not _java_whitespace(text[i]):
                            raise DecodeError("%s: invalid char between encapsulated token and delimiter" % where)
                        i += 1
                    break
                buf.append(c)
            fields.append("".join(buf))
        else:
            j = text.find(delimiter, i)
            j = n if j < 0 else j
            fields.append(text[i:j])
            i = j
        if i >= n:
            return fields
        i += 1                          # the delimiter
        if i >= n:
            fields.append("")
            return fields


def _delimited_field(t, s, where):
    """One field as KsqlDelimitedDeserializer parses it: empty is NULL."""
    if s == "":
        return None
    n = t.name
    if n == "BOOLEAN":
        return s.lower() == "true"              # Boolean.parseBoolean never fails
    if n == "STRING":
        return s
    if n in ("INT", "BIGINT", "TIMESTAMP", "TIME", "DATE"):
        x = parse_java_int(s, 64 if n in ("BIGINT", "TIMESTAMP", "TIME") else 32)
        if x is None:
            raise DecodeError("%s: cannot read %r as %s" % (where, s, n))
        if n == "TIME" and not 0 <= x <= 86400000:
            raise DecodeError("%s: Time values must use number of milliseconds greater than 0 and less than "
                              "86400000." % where)
        if n == "TIME" and x == 86400000:
            raise OutOfScope("TIME 86400000 (ksqlDB accepts it but cannot write it)")
        return x
    if n == "DOUBLE":
        x = parse_java_double(s)
        if x is None:
            raise DecodeError("%s: cannot read %r as DOUBLE" % (where, s))
        return x
    if n == "DECIMAL":
        d = parse_java_bigdecimal(s)
        if d is None:
            raise DecodeError("%s: cannot read %r as %s" % (where, s, t))
        return ensure_fit(d, t, where)
    if n == "BYTES":
        b = java_base64(s)
        if b is None:
            raise DecodeError("%s: Value is not a valid Base64 encoded string: %s" % (where, s))
        return b
    raise OutOfScope("DELIMITED %s" % t)


def _delimited_text(t, v, first, delimiter):
    """One field as Apache Commons CSV prints it with minimal quoting (what
    ksqlDB's DELIMITED serializer uses): the first field of a record is
    quoted when it is empty or starts with anything but an ASCII letter or
    digit; any field when it starts with a character up to '#', holds the
    delimiter, a quote or a line break, or ends in a space or control
    character."""
    if v is None:
        return ""          # a NULL is printed as nothing, never quoted
    if isinstance(v, bool):
        s = "true" if v else "false"
    elif isinstance(v, float):
        s = java_double_text(v)
    elif isinstance(v, Decimal):
        s = format(v, "f")                    # BigDecimal.toPlainString
    elif isinstance(v, bytes):
        s = b64encode(v)
    elif isinstance(v, (int, str)):
        s = str(v)
    else:
        raise OutOfScope("DELIMITED %s output" % t)
    if not s:
        quote = first
    else:
        c = s[0]
        quote = (first and not (c.isascii() and c.isalnum())) or c <= "#"
        quote = quote or any(ch in s for ch in (delimiter, '"', "\n", "\r")) or s[-1] <= " "
    return '"' + s.replace('"', '""') + '"' if quote else s


def _decode_delimited(cols, text, delimiter, where):
    if not isinstance(text, str):
        raise OutOfScope("DELIMITED %s %r (the runner writes strings only)" % (where, text))
    parts = csv_fields(text, delimiter, where)
    if len(parts) != len(cols):
        raise DecodeError("%s: Column count mismatch on deserialization: expected %d, got %d"
                          % (where, len(cols), len(parts)))
    return {c.name: _delimited_field(c.type, p, c.name) for c, p in zip(cols, parts)}


# ---------------------------------------------------------------- KAFKA

_KAFKA_TYPES = ("INT", "BIGINT", "DOUBLE", "STRING", "BYTES")


def _kafka_from_test(t, v, where):
    """KafkaSerdeSupplier: the test runner serializes INT with Kafka's
    IntegerSerializer (a JSON integer that Jackson reads as an Integer),
    BIGINT and DOUBLE from any number (longValue / doubleValue), STRING
    from a string, BYTES from a string's UTF-8. Anything else fails in the
    runner, before ksqlDB."""
    if v is None:
        return None
    n = t.name
    if n not in _KAFKA_TYPES:
        raise OutOfScope("KAFKA format of type %s (ksqlDB rejects the statement)" % t)
    if n == "INT":
        if isinstance(v, int) and not isinstance(v, bool) and -2 ** 31 <= v < 2 ** 31:
            return v
    elif n == "BIGINT":
        if _is_num(v):
            return _wrap(_trunc(v), 64)
    elif n == "DOUBLE":
        if _is_num(v):
            return float(v)
    elif isinstance(v, str):
        return v if n == "STRING" else v.encode("utf-8")
    raise OutOfScope("KAFKA %s %r: the test runner cannot serialize it" % (where, v))


def _kafka_to_test(t, v):
    if v is None:
        return None
    n = t.name
    if n not in _KAFKA_TYPES:
        raise OutOfScope("KAFKA format of type %s" % t)
    if n == "DOUBLE":
        if not math.isfinite(v):
            raise OutOfScope("a non-finite KAFKA DOUBLE (the runner's BigDecimal.valueOf fails)")
        return float(v)
    if n == "BYTES":
        return v.decode("utf-8", "replace")
    return v


# ---------------------------------------------------------------- AVRO

def _avro_from_test(t, v, where):
    """SpecToConnectConverter.specToConnect: how ksqlDB's runner turns a
    test-file value into the Connect value it writes with the schema ksqlDB
    derives from the columns (no registered schema). Integers, longs,
    doubles and booleans are parsed from the value's Java toString(), so
    strings of numbers are accepted; what it cannot convert fails in the
    runner. The Avro record read back is the same value: ksqlDB rejects
    nothing here."""
    if v is None:
        return None
    n = t.name

    def java_string(x):
        if isinstance(x, bool):
            return "true" if x else "false"
        if isinstance(x, (int, float)):
            return _number_text(x)
        if isinstance(x, str):
            return x
        raise OutOfScope("AVRO %s: toString of %r" % (where, x))

    if n in ("INT", "DATE", "TIME", "BIGINT", "TIMESTAMP"):
        x = parse_java_int(java_string(v), 32 if n in ("INT", "DATE", "TIME") else 64)
        if x is None:
            raise OutOfScope("AVRO %s %r: the test runner cannot serialize it" % (where, v))
        if n == "TIME" and not 0 <= x < 86400000:
            raise OutOfScope("AVRO TIME out of a day: Connect cannot write it")
        return x
    if n == "DOUBLE":
        x = parse_java_double(java_string(v))
        if x is None:
            raise OutOfScope("AVRO %s %r: the test runner cannot serialize it" % (where, v))
        return x
    if n == "BOOLEAN":
        return java_string(v).lower() == "true"       # Boolean.valueOf never fails
    if n == "STRING":
        return java_string(v)
    if n == "DECIMAL":
        if isinstance(v, float):
            try:
                return ensure_fit(_exact(v), t, where)
            except DecodeError:
                raise OutOfScope("AVRO DECIMAL that does not fit: the test runner fails")
        if isinstance(v, str):
            d = decimal_cast_half_up(v, t)
            if d is None:
                raise OutOfScope("AVRO DECIMAL %r: the test runner fails" % v)
            return d
        raise OutOfScope("AVRO DECIMAL from %r: the test runner wants a JSON number with a fraction" % (v,))
    if n == "BYTES":
        if isinstance(v, str):
            b = java_base64(v)
            if b is None:
                raise OutOfScope("AVRO BYTES %r: not base64, the test runner fails" % v)
            return b
        raise OutOfScope("AVRO BYTES from %r" % (v,))
    if n == "ARRAY":
        if not isinstance(v, list):
            raise OutOfScope("AVRO ARRAY from %r" % (v,))
        return [_avro_from_test(t.params[0], x, where) for x in v]
    if n == "MAP":
        if t.params[0].name != "STRING":
            raise OutOfScope("AVRO MAP with non-STRING keys (ksqlDB rejects the statement)")
        if not isinstance(v, dict):
            raise OutOfScope("AVRO MAP from %r" % (v,))
        return {k: _avro_from_test(t.params[1], x, where) for k, x in v.items()}
    if n == "STRUCT":
        return _avro_struct(t.params, v, where)
    raise OutOfScope("AVRO %s" % t)


def _avro_struct(fields, v, where):
    if not isinstance(v, dict):
        raise OutOfScope("AVRO record from %r" % (v,))
    names = {}
    for f, _ in fields:
        if f.upper() in names:
            raise OutOfScope("AVRO fields differing only in case")
        names[f.upper()] = f
    out = {f: None for f, _ in fields}
    types = dict(fields)
    for k, x in v.items():
        f = names.get(k.upper())
        if f is not None:
            out[f] = _avro_from_test(types[f], x, where + "." + f)
    return out


def _avro_to_test(t, v):
    """SpecToConnectConverter.connectToSpec of the record ksqlDB writes."""
    if v is None:
        return None
    n = t.name
    if n == "DOUBLE":
        if not math.isfinite(v):
            raise OutOfScope("a non-finite AVRO DOUBLE output")
        return float(v)
    if n == "ARRAY":
        return [_avro_to_test(t.params[0], x) for x in v]
    if n == "MAP":
        return {k: _avro_to_test(t.params[1], x) for k, x in v.items()}
    if n == "STRUCT":
        return {f: _avro_to_test(ft, v.get(f)) for f, ft in t.params}
    return _to_json(t, v)


# ---------------------------------------------------------------- records

_FORMATS = ("JSON", "DELIMITED", "KAFKA", "AVRO")


def decode_key(fmt, cols, key, delimiter=","):
    """Test-file key -> {name: value} for the key columns."""
    if not cols:
        return {}
    if fmt not in _FORMATS:
        raise OutOfScope("key format " + fmt)
    if key is None:
        return {c.name: None for c in cols}
    if fmt == "KAFKA":
        if len(cols) != 1:
            raise OutOfScope("KAFKA key with several columns (ksqlDB rejects the statement)")
        return {cols[0].name: _kafka_from_test(cols[0].type, key, "key")}
    if fmt == "DELIMITED":
        return _decode_delimited(cols, key, delimiter, "key")
    if fmt == "AVRO":
        if len(cols) == 1:
            return {cols[0].name: _avro_from_test(cols[0].type, key, "key")}
        return _avro_struct([(c.name, c.type) for c in cols], key, "key")
    if len(cols) == 1:
        return {cols[0].name: _json_to(cols[0].type, key, "key")}
    if not isinstance(key, dict):
        _reject("key", key, "STRUCT")
    return {c.name: _json_to(c.type, struct_field(key, c.name), "key." + c.name) for c in cols}


def decode_value(fmt, cols, value, wrap_single=True, delimiter=","):
    """Test-file value -> {name: value}, or None for a tombstone."""
    if value is None:
        return None
    if fmt == "JSON":
        if len(cols) == 1 and not wrap_single:
            return {cols[0].name: _json_to(cols[0].type, value, cols[0].name)}
        if not isinstance(value, dict):
            _reject("value", value, "STRUCT")
        return {c.name: _json_to(c.type, struct_field(value, c.name), c.name) for c in cols}
    if fmt == "DELIMITED":
        return _decode_delimited(cols, value, delimiter, "value")
    if fmt == "KAFKA":
        if len(cols) != 1:
            raise OutOfScope("KAFKA value with several columns (ksqlDB rejects the statement)")
        return {cols[0].name: _kafka_from_test(cols[0].type, value, "value")}
    if fmt == "AVRO":
        if len(cols) == 1 and not wrap_single:
            return {cols[0].name: _avro_from_test(cols[0].type, value, cols[0].name)}
        return _avro_struct([(c.name, c.type) for c in cols], value, "value")
    raise OutOfScope("value format " + fmt)


def encode_key(fmt, cols, vals, delimiter=",", null_key=None):
    """{name: value} of the key columns -> test-file key. null_key: whether
    the key itself is null (True) or a key whose columns may all be NULL
    (False: DELIMITED writes "," and JSON {"A": null, "B": null}); None when
    the caller does not know, taken as null when every column is NULL."""
    if not cols:
        return None
    if fmt not in _FORMATS:
        raise OutOfScope("key format " + fmt)
    if null_key or (null_key is None and all(vals.get(c.name) is None for c in cols)):
        return None
    if len(cols) == 1:
        v = vals.get(cols[0].name)
        t = cols[0].type
        if fmt == "KAFKA":
            return _kafka_to_test(t, v)
        if fmt == "AVRO":
            return _avro_to_test(t, v)
        if fmt == "DELIMITED":
            return _delimited_text(t, v, True, delimiter)
        return _to_json(t, v)
    if fmt == "KAFKA":
        raise OutOfScope("KAFKA key with several columns")
    if fmt == "DELIMITED":
        return delimiter.join(_delimited_text(c.type, vals.get(c.name), i == 0, delimiter)
                              for i, c in enumerate(cols))
    enc = _avro_to_test if fmt == "AVRO" else _to_json
    return {c.name: enc(c.type, vals.get(c.name)) for c in cols}


def encode_value(fmt, cols, vals, wrap_single=True, delimiter=","):
    if vals is None:
        return None
    if fmt in ("JSON", "AVRO"):
        enc = _avro_to_test if fmt == "AVRO" else _to_json
        if len(cols) == 1 and not wrap_single:
            return enc(cols[0].type, vals.get(cols[0].name))
        return {c.name: enc(c.type, vals.get(c.name)) for c in cols}
    if fmt == "DELIMITED":
        return delimiter.join(_delimited_text(c.type, vals.get(c.name), i == 0, delimiter)
                              for i, c in enumerate(cols))
    if fmt == "KAFKA":
        if len(cols) != 1:
            raise OutOfScope("KAFKA value with several columns")
        return _kafka_to_test(cols[0].type, vals.get(cols[0].name))
    raise OutOfScope("value format " + fmt)

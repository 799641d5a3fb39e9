"""Formats as ksqlDB's test runner sees them: test-file JSON <-> typed rows.

A test file gives each record's key and value as JSON. ksqlDB's runner turns
them into bytes with the topic's format and its deserializers turn the bytes
into a row, coercing or rejecting values by their SQL type; on the way out
the serializer writes the row and the runner shows it as JSON again. This
module is the reference for that round trip, written from ksqlDB's
documentation of its formats (JSON, DELIMITED, KAFKA). A value it does not
know how ksqlDB treats raises OutOfScope; a value ksqlDB rejects raises
DecodeError (the record goes to the processing log and is skipped).
"""
from decimal import Decimal

from ksql import OutOfScope


class DecodeError(Exception):
    pass


# ---------------------------------------------------------------- JSON values

def _json_to(t, v, where):
    """A JSON value read as SQL type t, as ksqlDB's JSON deserializer does."""
    if v is None:
        return None
    n = t.name
    if n == "BOOLEAN":
        if isinstance(v, bool):
            return v
        raise DecodeError("%s: cannot read %r as BOOLEAN" % (where, v))
    if n in ("INT", "BIGINT"):
        if isinstance(v, bool):
            raise DecodeError("%s: cannot read %r as %s" % (where, v, n))
        if isinstance(v, int):
            lim = 2 ** 31 if n == "INT" else 2 ** 63
            if not -lim <= v < lim:
                raise OutOfScope("%s out of range" % n)
            return v
        raise OutOfScope("%s read from %r" % (n, v))
    if n == "DOUBLE":
        if isinstance(v, bool):
            raise DecodeError("%s: cannot read %r as DOUBLE" % (where, v))
        if isinstance(v, (int, float)):
            return float(v)
        raise OutOfScope("DOUBLE read from %r" % (v,))
    if n == "STRING":
        if isinstance(v, str):
            return v
        raise OutOfScope("STRING read from %r" % (v,))
    raise OutOfScope("JSON column of type %s" % t)


def _to_json(t, v):
    if v is None:
        return None
    n = t.name if t is not None else None
    if n in ("BOOLEAN", "INT", "BIGINT", "STRING"):
        return v
    if n == "DOUBLE":
        v = float(v)
        if v != v or v in (float("inf"), float("-inf")):
            # ksqlDB's test runner shows non-finite doubles as strings
            return "NaN" if v != v else ("Infinity" if v > 0 else "-Infinity")
        return v
    if n == "ARRAY" and isinstance(v, list):
        return [_to_json(t.params[0], x) for x in v]
    if n == "MAP" and isinstance(v, dict):
        return {k: _to_json(t.params[1], x) for k, x in v.items()}
    if n == "STRUCT" and isinstance(v, dict):
        return {f: _to_json(ft, v.get(f)) for f, ft in t.params}
    if isinstance(v, (bool, int, str)):
        return v
    raise OutOfScope("writing a %s" % t)


# ---------------------------------------------------------------- DELIMITED

def _delimited_field(t, s, where):
    if s == "":
        return None
    n = t.name
    try:
        if n in ("INT", "BIGINT"):
            return int(s)
        if n == "DOUBLE":
            return float(s)
    except ValueError:
        raise DecodeError("%s: cannot read %r as %s" % (where, s, n))
    if n == "STRING":
        return s
    if n == "BOOLEAN":
        raise OutOfScope("DELIMITED BOOLEAN")
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
        raise OutOfScope("DELIMITED DOUBLE output")
    else:
        s = str(v)
    if not s:
        quote = first
    else:
        c = s[0]
        quote = (first and not (c.isascii() and c.isalnum())) or c <= "#"
        quote = quote or any(ch in s for ch in (delimiter, '"', "\n", "\r")) or s[-1] <= " "
    return '"' + s.replace('"', '""') + '"' if quote else s


# ---------------------------------------------------------------- records

def decode_key(fmt, cols, key):
    """Test-file key -> {name: value} for the key columns."""
    if not cols:
        return {}
    if fmt == "KAFKA":
        if len(cols) != 1:
            raise OutOfScope("KAFKA key with several columns")
        c = cols[0]
        if key is None:
            return {c.name: None}
        if c.type.name in ("INT", "BIGINT"):
            if isinstance(key, bool) or not isinstance(key, int):
                raise OutOfScope("KAFKA key %r" % (key,))
            return {c.name: key}
        if c.type.name == "STRING":
            if not isinstance(key, str):
                raise OutOfScope("KAFKA key %r" % (key,))
            return {c.name: key}
        if c.type.name == "DOUBLE":
            return {c.name: float(key)}
        raise OutOfScope("KAFKA key of type %s" % c.type)
    if fmt == "JSON":
        if len(cols) == 1:
            return {cols[0].name: _json_to(cols[0].type, key, "key")}
        if key is None:
            return {c.name: None for c in cols}
        if not isinstance(key, dict):
            raise DecodeError("key: expected a JSON object")
        return {c.name: _json_to(c.type, _field(key, c.name), "key." + c.name) for c in cols}
    raise OutOfScope("key format " + fmt)


def _field(obj, name):
    """JSON fields match column names case-insensitively, as in ksqlDB."""
    if name in obj:
        return obj[name]
    for k, v in obj.items():
        if k.upper() == name.upper():
            return v
    return None


def decode_value(fmt, cols, value, wrap_single=True, delimiter=","):
    """Test-file value -> {name: value}, or None for a tombstone."""
    if value is None:
        return None
    if fmt == "JSON":
        if len(cols) == 1 and not wrap_single:
            return {cols[0].name: _json_to(cols[0].type, value, cols[0].name)}
        if not isinstance(value, dict):
            raise DecodeError("value: expected a JSON object, got %r" % (value,))
        return {c.name: _json_to(c.type, _field(value, c.name), c.name) for c in cols}
    if fmt == "DELIMITED":
        if not isinstance(value, str):
            raise OutOfScope("DELIMITED value %r" % (value,))
        if '"' in value:
            raise OutOfScope("DELIMITED quoting")
        parts = value.split(delimiter)
        if len(parts) != len(cols):
            raise DecodeError("value: %d fields for %d columns" % (len(parts), len(cols)))
        return {c.name: _delimited_field(c.type, p, c.name) for c, p in zip(cols, parts)}
    if fmt == "KAFKA":
        if len(cols) != 1:
            raise OutOfScope("KAFKA value with several columns")
        return {cols[0].name: _json_to(cols[0].type, value, cols[0].name)}
    raise OutOfScope("value format " + fmt)


def encode_key(fmt, cols, vals):
    """{name: value} of the key columns -> test-file key."""
    if not cols:
        return None
    if fmt == "KAFKA" or (fmt == "JSON" and len(cols) == 1):
        if len(cols) != 1:
            raise OutOfScope("KAFKA key with several columns")
        return _to_json(cols[0].type, vals.get(cols[0].name))
    if fmt == "JSON":
        if all(vals.get(c.name) is None for c in cols):
            return None
        return {c.name: _to_json(c.type, vals.get(c.name)) for c in cols}
    raise OutOfScope("key format " + fmt)


def encode_value(fmt, cols, vals, wrap_single=True, delimiter=","):
    if vals is None:
        return None
    if fmt == "JSON":
        if len(cols) == 1 and not wrap_single:
            return _to_json(cols[0].type, vals.get(cols[0].name))
        return {c.name: _to_json(c.type, vals.get(c.name)) for c in cols}
    if fmt == "DELIMITED":
        return delimiter.join(_delimited_text(c.type, vals.get(c.name), i == 0, delimiter)
                              for i, c in enumerate(cols))
    if fmt == "KAFKA":
        if len(cols) != 1:
            raise OutOfScope("KAFKA value with several columns")
        return _to_json(cols[0].type, vals.get(cols[0].name))
    raise OutOfScope("value format " + fmt)

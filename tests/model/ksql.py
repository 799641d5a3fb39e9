"""A small parser for the part of ksqlDB's SQL the reference models run.

Written for the models only, independent of Sluice's C parser: statements
become plain Python objects (dataclasses below) that the interpreter in
engine.py walks. What it does not know it refuses with OutOfScope, so a
model never guesses: a corpus case it cannot read is counted as out of
scope, not as agreement.

Scope: CREATE STREAM/TABLE with columns and WITH properties, CREATE ... AS
SELECT, INSERT INTO ... SELECT, SELECT with *, aliases, joins (WITHIN, GRACE
PERIOD), WINDOW TUMBLING/HOPPING/SESSION (SIZE, ADVANCE BY, RETENTION, GRACE
PERIOD), WHERE, GROUP BY, HAVING, PARTITION BY, EMIT CHANGES/FINAL;
expressions with literals, columns, function calls, arithmetic, comparison,
AND/OR/NOT, IS [NOT] NULL, BETWEEN, IN, CASE, CAST, struct fields and
subscripts. Unquoted identifiers are upper-cased as ksqlDB does.
"""
from dataclasses import dataclass, field
import re


class OutOfScope(Exception):
    """The case uses something the models do not cover."""


class ParseError(Exception):
    pass


# ---------------------------------------------------------------- types

@dataclass(frozen=True)
class Type:
    name: str                      # BOOLEAN INT BIGINT DOUBLE DECIMAL STRING BYTES TIMESTAMP DATE TIME ARRAY MAP STRUCT
    params: tuple = ()             # DECIMAL (p, s); ARRAY (elem,); MAP (k, v); STRUCT ((name, type), ...)

    def __str__(self):
        if self.name == "DECIMAL":
            return "DECIMAL(%d, %d)" % self.params
        if self.name == "ARRAY":
            return "ARRAY<%s>" % self.params[0]
        if self.name == "MAP":
            return "MAP<%s, %s>" % self.params
        if self.name == "STRUCT":
            return "STRUCT<%s>" % ", ".join("`%s` %s" % f for f in self.params)
        return self.name


BOOLEAN, INT, BIGINT, DOUBLE, STRING = (Type(n) for n in ("BOOLEAN", "INT", "BIGINT", "DOUBLE", "STRING"))
BYTES, TIMESTAMP, DATE, TIME = (Type(n) for n in ("BYTES", "TIMESTAMP", "DATE", "TIME"))


# ---------------------------------------------------------------- expressions

@dataclass
class Lit:
    value: object
    type: Type


@dataclass
class Col:
    name: str
    qualifier: str = None


@dataclass
class Call:
    name: str
    args: list
    star: bool = False             # COUNT(*)
    distinct: bool = False


@dataclass
class Binary:
    op: str                        # + - * / % = <> < <= > >= AND OR
    left: object
    right: object


@dataclass
class Unary:
    op: str                        # NOT, -
    arg: object


@dataclass
class IsNull:
    arg: object
    negated: bool


@dataclass
class Between:
    arg: object
    low: object
    high: object
    negated: bool


@dataclass
class In:
    arg: object
    items: list
    negated: bool


@dataclass
class Case:
    operand: object                # None for searched CASE
    whens: list                    # [(cond, result)]
    default: object


@dataclass
class Cast:
    arg: object
    type: Type


@dataclass
class Deref:                       # struct->field
    arg: object
    field: str


@dataclass
class Subscript:                   # array[i], map['k']
    arg: object
    index: object


# ---------------------------------------------------------------- statements

@dataclass
class ColumnDef:
    name: str
    type: Type
    key: bool = False              # KEY or PRIMARY KEY
    headers: str = None            # HEADERS or HEADER('k'): not modelled


@dataclass
class CreateSource:
    kind: str                      # STREAM or TABLE
    name: str
    columns: list
    props: dict                    # upper-cased names -> literal values


@dataclass
class SelectItem:
    expr: object = None
    alias: str = None
    star: bool = False
    star_qualifier: str = None


@dataclass
class JoinClause:
    kind: str                      # INNER LEFT RIGHT FULL
    source: str
    alias: str
    on: object
    within: tuple = None           # (before_ms, after_ms)
    grace: int = None


@dataclass
class Window:
    kind: str                      # TUMBLING HOPPING SESSION
    size: int                      # ms (the gap for SESSION)
    advance: int = None
    retention: int = None
    grace: int = None


@dataclass
class Select:
    items: list
    source: str
    alias: str
    joins: list = field(default_factory=list)
    window: Window = None
    where: object = None
    group_by: list = field(default_factory=list)
    having: object = None
    partition_by: list = field(default_factory=list)
    emit: str = None               # CHANGES, FINAL or None


@dataclass
class CreateAs:
    kind: str                      # STREAM or TABLE
    name: str
    props: dict
    select: Select


@dataclass
class InsertInto:
    name: str
    select: Select


@dataclass
class SetProperty:
    name: str
    value: str


# ---------------------------------------------------------------- lexer

_TOKEN = re.compile(r"""
    (?P<ws>\s+|--[^\n]*)
  | (?P<str>'(?:[^']|'')*')
  | (?P<qid>`(?:[^`]|``)*`|"(?:[^"]|"")*")
  | (?P<num>\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+(?:[eE][+-]?\d+)?)
  | (?P<id>[A-Za-z_][A-Za-z_0-9@$]*)
  | (?P<op><>|!=|<=|>=|->|\|\||[-+*/%=<>(),.;\[\]:])
""", re.X)


def _lex(text):
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ParseError("unexpected character %r at %d" % (text[pos], pos))
        pos = m.end()
        kind = m.lastgroup
        tok = m.group(kind)
        if kind == "ws":
            continue
        if kind == "str":
            out.append(("str", tok[1:-1].replace("''", "'")))
        elif kind == "qid":
            q = tok[0]
            out.append(("qid", tok[1:-1].replace(q + q, q)))
        elif kind == "id":
            out.append(("id", tok.upper()))
        else:
            out.append((kind, tok))
    out.append(("eof", None))
    return out


_UNITS = {"MILLISECOND": 1, "MILLISECONDS": 1, "SECOND": 1000, "SECONDS": 1000, "MINUTE": 60000,
          "MINUTES": 60000, "HOUR": 3600000, "HOURS": 3600000, "DAY": 86400000, "DAYS": 86400000}

_RESERVED_AFTER_SOURCE = {"JOIN", "INNER", "LEFT", "RIGHT", "FULL", "WINDOW", "WHERE", "GROUP", "HAVING",
                          "PARTITION", "EMIT", "ON", "WITHIN", "LIMIT"}


class _Parser:
    def __init__(self, text):
        self.toks = _lex(text)
        self.i = 0

    # -- token helpers
    def peek(self, k=0):
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def at(self, *words):
        t = self.peek()
        return t[0] == "id" and t[1] in words

    def at_op(self, *ops):
        t = self.peek()
        return t[0] == "op" and t[1] in ops

    def take(self):
        t = self.toks[self.i]
        self.i += 1
        return t

    def word(self, *words):
        if not self.at(*words):
            raise ParseError("expected %s, got %r" % ("/".join(words), self.peek()[1]))
        return self.take()[1]

    def op(self, o):
        if not self.at_op(o):
            raise ParseError("expected %r, got %r" % (o, self.peek()[1]))
        self.take()

    def accept(self, *words):
        if self.at(*words):
            return self.take()[1]
        return None

    def accept_op(self, o):
        if self.at_op(o):
            self.take()
            return True
        return False

    def ident(self):
        t = self.take()
        if t[0] not in ("id", "qid"):
            raise ParseError("expected an identifier, got %r" % (t[1],))
        return t[1]

    # -- statements
    def statement(self):
        if self.accept("CREATE"):
            if self.accept("OR"):
                self.word("REPLACE")
            kind = self.word("STREAM", "TABLE")
            if self.accept("IF"):
                self.word("NOT")
                self.word("EXISTS")
            name = self.ident()
            if self.at_op("("):
                cols = self.column_defs()
                props = self.with_props() if self.accept("WITH") else {}
                return CreateSource(kind, name, cols, props)
            props = self.with_props() if self.accept("WITH") else {}
            self.word("AS")
            return CreateAs(kind, name, props, self.select())
        if self.accept("INSERT"):
            self.word("INTO")
            name = self.ident()
            return InsertInto(name, self.select())
        if self.accept("SET"):
            name = self.take()[1]
            self.op("=")
            return SetProperty(name, self.take()[1])
        raise OutOfScope("statement %r" % (self.peek()[1],))

    def column_defs(self):
        self.op("(")
        cols = []
        while True:
            name = self.ident()
            t = self.type()
            c = ColumnDef(name, t)
            if self.accept("PRIMARY"):
                self.word("KEY")
                c.key = True
            elif self.accept("KEY"):
                c.key = True
            elif self.accept("HEADERS"):
                c.headers = "*"
            elif self.accept("HEADER"):
                self.op("(")
                c.headers = self.take()[1]
                self.op(")")
            cols.append(c)
            if not self.accept_op(","):
                break
        self.op(")")
        return cols

    def type(self):
        n = self.ident().upper()
        n = {"INTEGER": "INT", "VARCHAR": "STRING"}.get(n, n)
        if n == "DECIMAL":
            self.op("(")
            p = int(self.take()[1])
            self.op(",")
            s = int(self.take()[1])
            self.op(")")
            return Type("DECIMAL", (p, s))
        if n == "ARRAY":
            self.op("<")
            e = self.type()
            self.op(">")
            return Type("ARRAY", (e,))
        if n == "MAP":
            self.op("<")
            k = self.type()
            self.op(",")
            v = self.type()
            self.op(">")
            return Type("MAP", (k, v))
        if n == "STRUCT":
            self.op("<")
            fields = []
            if not self.at_op(">"):
                while True:
                    fn = self.ident()
                    fields.append((fn, self.type()))
                    if not self.accept_op(","):
                        break
            self.op(">")
            return Type("STRUCT", tuple(fields))
        if n in ("BOOLEAN", "INT", "BIGINT", "DOUBLE", "STRING", "BYTES", "TIMESTAMP", "DATE", "TIME"):
            return Type(n)
        raise OutOfScope("type " + n)

    def with_props(self):
        self.op("(")
        props = {}
        while True:
            k = self.ident().upper()
            self.op("=")
            t = self.take()
            if t[0] == "num":
                v = int(t[1]) if re.fullmatch(r"\d+", t[1]) else float(t[1])
            elif t[0] == "id" and t[1] in ("TRUE", "FALSE"):
                v = t[1] == "TRUE"
            else:
                v = t[1]
            props[k] = v
            if not self.accept_op(","):
                break
        self.op(")")
        return props

    def duration(self):
        n = int(self.take()[1])
        u = self.word(*_UNITS)
        return n * _UNITS[u]

    def select(self):
        self.word("SELECT")
        items = []
        while True:
            if self.at_op("*"):
                self.take()
                items.append(SelectItem(star=True))
            elif self.peek()[0] in ("id", "qid") and self.peek(1) == ("op", ".") and self.peek(2) == ("op", "*"):
                q = self.ident()
                self.take()
                self.take()
                items.append(SelectItem(star=True, star_qualifier=q))
            else:
                e = self.expr()
                alias = None
                if self.accept("AS"):
                    alias = self.ident()
                elif self.peek()[0] in ("id", "qid") and not self.at("FROM"):
                    alias = self.ident()
                items.append(SelectItem(e, alias))
            if not self.accept_op(","):
                break
        self.word("FROM")
        src, alias = self.source_ref()
        sel = Select(items, src, alias)
        while self.at("JOIN", "INNER", "LEFT", "RIGHT", "FULL"):
            kind = "INNER"
            w = self.take()[1]
            if w != "JOIN":
                kind = w
                self.accept("OUTER")
                self.word("JOIN")
            rsrc, ralias = self.source_ref()
            within = grace = None
            if self.accept("WITHIN"):
                if self.accept_op("("):
                    b = self.duration()
                    self.op(",")
                    a = self.duration()
                    self.op(")")
                    within = (b, a)
                else:
                    d = self.duration()
                    within = (d, d)
                if self.accept("GRACE"):
                    self.word("PERIOD")
                    grace = self.duration()
            self.word("ON")
            sel.joins.append(JoinClause(kind, rsrc, ralias, self.expr(), within, grace))
        if self.accept("WINDOW"):
            sel.window = self.window()
        if self.accept("WHERE"):
            sel.where = self.expr()
        if self.accept("GROUP"):
            self.word("BY")
            sel.group_by = self.expr_list()
        if self.accept("HAVING"):
            sel.having = self.expr()
        if self.accept("PARTITION"):
            self.word("BY")
            sel.partition_by = self.expr_list()
        if self.accept("EMIT"):
            sel.emit = self.word("CHANGES", "FINAL")
        if self.at("LIMIT"):
            raise OutOfScope("LIMIT")
        return sel

    def source_ref(self):
        name = self.ident()
        alias = None
        if self.accept("AS"):
            alias = self.ident()
        elif self.peek()[0] in ("id", "qid") and not (self.peek()[0] == "id" and self.peek()[1] in _RESERVED_AFTER_SOURCE):
            alias = self.ident()
        return name, alias

    def window(self):
        kind = self.word("TUMBLING", "HOPPING", "SESSION")
        self.op("(")
        w = Window(kind, None)
        if kind == "SESSION":
            w.size = self.duration()
        while not self.at_op(")"):
            self.accept_op(",")
            if self.accept("SIZE"):
                w.size = self.duration()
            elif self.accept("ADVANCE"):
                self.word("BY")
                w.advance = self.duration()
            elif self.accept("RETENTION"):
                w.retention = self.duration()
            elif self.accept("GRACE"):
                self.word("PERIOD")
                w.grace = self.duration()
            else:
                raise OutOfScope("window clause %r" % (self.peek()[1],))
        self.op(")")
        return w

    def expr_list(self):
        out = [self.expr()]
        while self.accept_op(","):
            out.append(self.expr())
        return out

    # -- expressions, by precedence: OR, AND, NOT, comparison, + -, * / %, unary, postfix
    def expr(self):
        e = self.and_expr()
        while self.accept("OR"):
            e = Binary("OR", e, self.and_expr())
        return e

    def and_expr(self):
        e = self.not_expr()
        while self.accept("AND"):
            e = Binary("AND", e, self.not_expr())
        return e

    def not_expr(self):
        if self.accept("NOT"):
            return Unary("NOT", self.not_expr())
        return self.comparison()

    def comparison(self):
        e = self.additive()
        while True:
            if self.peek()[0] == "op" and self.peek()[1] in ("=", "<>", "!=", "<", "<=", ">", ">="):
                o = self.take()[1]
                e = Binary("<>" if o == "!=" else o, e, self.additive())
            elif self.at("IS"):
                self.take()
                neg = bool(self.accept("NOT"))
                if self.accept("DISTINCT"):
                    raise OutOfScope("IS DISTINCT FROM")
                self.word("NULL")
                e = IsNull(e, neg)
            elif self.at("BETWEEN") or (self.at("NOT") and self.peek(1) == ("id", "BETWEEN")):
                neg = bool(self.accept("NOT"))
                self.word("BETWEEN")
                lo = self.additive()
                self.word("AND")
                e = Between(e, lo, self.additive(), neg)
            elif self.at("IN") or (self.at("NOT") and self.peek(1) == ("id", "IN")):
                neg = bool(self.accept("NOT"))
                self.word("IN")
                self.op("(")
                items = self.expr_list()
                self.op(")")
                e = In(e, items, neg)
            elif self.at("LIKE") or (self.at("NOT") and self.peek(1) == ("id", "LIKE")):
                raise OutOfScope("LIKE")
            else:
                return e

    def additive(self):
        e = self.term()
        while self.at_op("+", "-", "||"):
            o = self.take()[1]
            if o == "||":
                raise OutOfScope("||")
            e = Binary(o, e, self.term())
        return e

    def term(self):
        e = self.unary()
        while self.at_op("*", "/", "%"):
            o = self.take()[1]
            e = Binary(o, e, self.unary())
        return e

    def unary(self):
        if self.accept_op("-"):
            e = self.unary()
            if isinstance(e, Lit) and e.type.name in ("INT", "BIGINT", "DOUBLE", "DECIMAL"):
                v = -e.value
                t = e.type
                if t.name == "BIGINT" and v == -(2 ** 31):
                    t = INT
                return Lit(v, t)
            return Unary("-", e)
        if self.accept_op("+"):
            return self.unary()
        return self.postfix(self.primary())

    def postfix(self, e):
        while True:
            if self.accept_op("->"):
                e = Deref(e, self.ident())
            elif self.accept_op("["):
                idx = self.expr()
                self.op("]")
                e = Subscript(e, idx)
            else:
                return e

    def primary(self):
        t = self.peek()
        if t[0] == "num":
            self.take()
            s = t[1]
            if re.fullmatch(r"\d+", s):
                v = int(s)
                return Lit(v, INT if v <= 2 ** 31 - 1 else BIGINT)
            if "e" in s.lower():
                return Lit(float(s), DOUBLE)
            from decimal import Decimal
            d = Decimal(s)
            digits = s.replace(".", "").lstrip("0") or "0"
            scale = len(s.split(".")[1]) if "." in s else 0
            return Lit(d, Type("DECIMAL", (max(len(digits), scale, 1), scale)))
        if t[0] == "str":
            self.take()
            return Lit(t[1], STRING)
        if t[0] == "op" and t[1] == "(":
            self.take()
            e = self.expr()
            self.op(")")
            return e
        if t[0] == "id" and t[1] in ("TRUE", "FALSE"):
            self.take()
            return Lit(t[1] == "TRUE", BOOLEAN)
        if t[0] == "id" and t[1] == "NULL":
            self.take()
            return Lit(None, None)
        if t[0] == "id" and t[1] == "CASE":
            self.take()
            operand = None if self.at("WHEN") else self.expr()
            whens = []
            while self.accept("WHEN"):
                c = self.expr()
                self.word("THEN")
                whens.append((c, self.expr()))
            default = self.expr() if self.accept("ELSE") else None
            self.word("END")
            return Case(operand, whens, default)
        if t[0] == "id" and t[1] == "CAST":
            self.take()
            self.op("(")
            e = self.expr()
            self.word("AS")
            ty = self.type()
            self.op(")")
            return Cast(e, ty)
        if t[0] in ("id", "qid"):
            name = self.ident()
            if self.at_op("("):
                self.take()
                if self.accept_op("*"):
                    self.op(")")
                    return Call(name, [], star=True)
                distinct = bool(self.accept("DISTINCT"))
                args = [] if self.at_op(")") else self.expr_list()
                self.op(")")
                return Call(name, args, distinct=distinct)
            if self.at_op(".") and self.peek(1)[0] in ("id", "qid"):
                self.take()
                return Col(self.ident(), name)
            return Col(name)
        raise ParseError("unexpected %r" % (t[1],))


def split_statements(text):
    """Splits on semicolons outside quotes."""
    out, cur, quote = [], [], None
    for ch in text:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = None
        elif ch in "'`\"":
            quote = ch
            cur.append(ch)
        elif ch == ";":
            s = "".join(cur).strip()
            if s:
                out.append(s)
            cur = []
        else:
            cur.append(ch)
    s = "".join(cur).strip()
    if s:
        out.append(s)
    return out


def parse(statements):
    """statements: a list of SQL strings (one or more statements each)."""
    out = []
    for text in statements:
        for s in split_statements(text):
            p = _Parser(s)
            try:
                st = p.statement()
            except (ParseError, IndexError, ValueError) as e:
                raise OutOfScope("cannot parse %r: %s" % (s[:80], e))
            if p.peek()[0] != "eof":
                raise OutOfScope("cannot parse %r: trailing %r" % (s[:80], p.peek()[1]))
            out.append(st)
    return out

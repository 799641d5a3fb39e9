"""Wide hopping windows against the reference model: each record falls in
1,000 windows (SIZE 1000 SECONDS, ADVANCE BY 1 SECOND), over out-of-order
input with a grace period, three random streams of 30 records over 3 keys.
`sluice test` must write exactly the model's records (30,000 window
updates a stream). A fixed array of 256 window starts once dropped the
rest without a word.

    python3 tests/model/wide_windows.py path/to/sluice [SEED]"""
import json, os, random, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402
import engine  # noqa: E402


def case(rng):
    c = {"statements": [
        "CREATE STREAM INPUT (ID BIGINT KEY, V BIGINT) WITH (KAFKA_TOPIC='input_topic', VALUE_FORMAT='JSON');",
        "CREATE TABLE OUTPUT AS SELECT ID, COUNT(*) AS C, SUM(V) AS S, MIN(V) AS MN FROM INPUT "
        "WINDOW HOPPING (SIZE 1000 SECONDS, ADVANCE BY 1 SECOND, GRACE PERIOD 30 SECONDS) GROUP BY ID;"],
        "inputs": []}
    t = 5_000_000
    for _ in range(30):
        t += rng.randint(-20000, 60000)  # some records behind the newest, some past the grace
        c["inputs"].append({"topic": "input_topic", "key": rng.randint(1, 3), "value": {"V": rng.randint(-50, 50)},
                            "timestamp": t})
    return c


def main():
    sluice = sys.argv[1]
    seed = sys.argv[2] if len(sys.argv) > 2 else str(random.SystemRandom().randrange(1, 10 ** 9))
    failed = 0
    for i in range(3):
        c = case(random.Random("%s:wide:%d" % (seed, i)))
        expected = engine.expected_outputs(c)
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "s.sql"), "w") as f:
                f.write("\n".join(c["statements"]) + "\n")
            with open(os.path.join(d, "i.json"), "w") as f:
                json.dump({"inputs": c["inputs"]}, f)
            p = subprocess.run([sluice, "test", "-s", os.path.join(d, "s.sql"), "-i", os.path.join(d, "i.json")],
                               capture_output=True, text=True, timeout=300)
        why = "exit %d: %s" % (p.returncode, p.stderr[-500:]) if p.returncode else \
            compare.diff(expected, json.loads(p.stdout)["outputs"])
        print("wide windows case %d (seed %s): %d model records, %s" % (i, seed, len(expected), why or "same"))
        failed += bool(why)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

"""Differential tests: random cases, the reference model's outputs, Sluice's.

    scripts/difftest FAMILY N [SEED] [--bootstrap HOST:PORT] [--jobs J]
    scripts/difftest all N [SEED] ...
    scripts/difftest --list
    scripts/difftest --corpus [FAMILY]

A family (gen_<name>.py) generates cases in ksql-test-runner's format:
statements and input records, with random schemas, keys (NULL ones too),
disorder, late records and tombstones. The model (engine.py and the
operator models) computes what ksqlDB would write; `sluice test` (through a
real broker with --bootstrap) computes what Sluice writes; every topic is
compared record by record. A failing case is shrunk (input records removed
while it still fails, the model recomputing the expected outputs each time)
and saved under tests/difftest/ as a regression case that
tests/cases/run.sh runs from then on.

--corpus runs the model alone against ksqlDB's own corpus cases of a
family: agreeing with ksqlDB's expected outputs is how a model earns trust.

Case i of a run is generated from Random("SEED:FAMILY:i"), so a seed and an
index reproduce a case exactly: `scripts/difftest FAMILY 1 SEED --from i`.
"""
import argparse
import concurrent.futures
import importlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
REPO = os.path.dirname(os.path.dirname(HERE))

import compare  # noqa: E402
import engine  # noqa: E402
import fates  # noqa: E402
from ksql import OutOfScope  # noqa: E402

FAMILY_MODULES = ["gen_project", "gen_window", "gen_session", "gen_aggregate", "gen_join_ss", "gen_join_st",
                  "gen_join_tt", "gen_join_chain", "gen_partition", "gen_coercion"]


def families():
    out = {}
    for m in FAMILY_MODULES:
        try:
            mod = importlib.import_module(m)
        except ModuleNotFoundError as e:
            if e.name == m:
                continue
            raise
        out[mod.NAME] = mod
    return out


def run_sluice(sluice, case, bootstrap=None, timeout=600):
    """Sluice's outputs for a case: (exit code, outputs or None, stderr,
    per-query stats or None). Stats come from the in-process run only."""
    with tempfile.TemporaryDirectory(prefix="difftest-") as d:
        with open(os.path.join(d, "statements.sql"), "w") as f:
            for s in case["statements"]:
                f.write(s.strip() + "\n")
        inp = {"inputs": case["inputs"]}
        if case.get("properties"):
            inp["properties"] = case["properties"]
        with open(os.path.join(d, "input.json"), "w") as f:
            json.dump(inp, f)
        cmd = [sluice, "test", "-s", os.path.join(d, "statements.sql"), "-i", os.path.join(d, "input.json")]
        stats_path = os.path.join(d, "stats.json")
        cmd += ["--bootstrap", bootstrap] if bootstrap else ["--stats", stats_path]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return -1, None, "timed out after %d s" % timeout, None
        if p.returncode != 0:
            return p.returncode, None, p.stderr, None
        try:
            outputs = json.loads(p.stdout).get("outputs", [])
        except ValueError:
            return -2, None, "unreadable output: " + p.stdout[:200], None
        stats = None
        if not bootstrap:
            with open(stats_path) as f:
                stats = json.load(f)["queries"]
        return 0, outputs, p.stderr, stats


def check(sluice, case, bootstrap=None):
    """None when Sluice agrees with the model, else a description."""
    try:
        model = engine.Engine(case["statements"], case.get("properties"), case.get("topics"))
        expected = model.run(case.get("inputs", []))
    except OutOfScope as e:
        return "MODEL: the generated case is out of the model's scope: %s" % e
    rc, actual, err, stats = run_sluice(sluice, case, bootstrap)
    if rc != 0:
        return "sluice test exited %d: %s" % (rc, (err or "").strip()[-600:])
    why = compare.diff(expected, actual)
    if why and bootstrap:
        # through a broker a difference may depend on timing: keep what
        # Sluice logged (rebalances, aborts, restores) with the case
        lines = [l for l in (err or "").splitlines() if " DEBUG " not in l]
        why += "\n  sluice's log (last lines):\n    " + "\n    ".join(lines[-25:])
    if why or stats is None:
        return why
    problems = fates.ledger_problems(stats) + fates.model_problems(stats, model.queries)
    if problems:
        return "STATS: the outputs agree, the record accounting does not:\n  " + "\n  ".join(problems)
    return None


def shrink(sluice, case, bootstrap, budget=400):
    """Removes input records (halves, then quarters, ... then single ones)
    while the case still fails; the model recomputes the expected outputs
    of every candidate."""
    inputs = list(case["inputs"])
    runs = 0

    def fails(cand):
        nonlocal runs
        runs += 1
        c = dict(case, inputs=cand)
        try:
            expected = engine.expected_outputs(c)
        except OutOfScope:
            return False
        if not expected:
            # the test runner checks only the topics a case expects records
            # on: a saved case without any could never fail
            return False
        why = check(sluice, c, bootstrap)
        return why is not None and not why.startswith("MODEL:")

    n = 2
    while len(inputs) >= 2 and runs < budget:
        chunk = max(1, len(inputs) // n)
        removed = False
        for start in range(0, len(inputs), chunk):
            cand = inputs[:start] + inputs[start + chunk:]
            if cand and fails(cand):
                inputs = cand
                n = max(n - 1, 2)
                removed = True
                break
            if runs >= budget:
                break
        if not removed:
            if chunk == 1:
                break
            n = min(len(inputs), n * 2)
    return dict(case, inputs=inputs)


def save(case, family, seed, index):
    os.makedirs(os.path.join(REPO, "tests", "difftest"), exist_ok=True)
    path = os.path.join(REPO, "tests", "difftest", "%s-%s-%d.json" % (family, seed, index))
    test = {"name": "difftest %s seed %s case %d" % (family, seed, index),
            "statements": case["statements"], "inputs": case["inputs"],
            "outputs": engine.expected_outputs(case)}
    if case.get("properties"):
        test["properties"] = case["properties"]
    with open(path, "w") as f:
        json.dump({"tests": [test]}, f, indent=1)
        f.write("\n")
    return os.path.relpath(path, REPO)


def case_for(mod, seed, index):
    rng = random.Random("%s:%s:%d" % (seed, mod.NAME, index))
    return mod.generate(rng)


def run_family(mod, n, seed, args):
    start = time.time()
    indices = range(args.start, args.start + n)
    failures = []
    bootstrap = args.bootstrap
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as ex:
        futs = {ex.submit(check, args.sluice, case_for(mod, seed, i), bootstrap): i for i in indices}
        for f in concurrent.futures.as_completed(futs):
            why = f.result()
            if why:
                failures.append((futs[f], why))
    failures.sort()
    passed = n - len(failures)
    for i, why in failures[:args.show]:
        print("--- %s case %d (seed %s) fails:\n%s" % (mod.NAME, i, seed, why))
    saved = []
    for i, why in failures[:args.shrink]:
        if why.startswith("MODEL:"):
            continue
        # an accounting difference is shrunk and shown, but a saved case
        # checks outputs only: it would pass
        small = shrink(args.sluice, case_for(mod, seed, i), bootstrap)
        print("--- %s case %d shrunk to %d input records:" % (mod.NAME, i, len(small["inputs"])))
        for s in small["statements"]:
            print("    " + s.strip())
        for r in small["inputs"]:
            print("    " + json.dumps(r))
        print(check(args.sluice, small, bootstrap))
        if not args.no_save and not why.startswith("STATS:"):
            saved.append(save(small, mod.NAME, seed, i))
    for p in saved:
        print("saved %s" % p)
    print("difftest %s: %d passed, %d failed (seed %s)%s" % (mod.NAME, passed, len(failures), seed,
                                                           "" if not args.verbose else
                                                           " in %.0f s" % (time.time() - start)))
    sys.stdout.flush()
    return not failures


def corpus_cases():
    d = os.path.join(REPO, "..", "shared", "conformance", "qtt", "cases")
    for fn in sorted(os.listdir(d)):
        if not fn.endswith(".json"):
            continue
        for t in json.load(open(os.path.join(d, fn))).get("tests", []):
            for fmt in t.get("format") or [None]:
                for cfg in t.get("config") or [None]:
                    text = json.dumps(t)
                    if fmt:
                        text = text.replace("{FORMAT}", fmt)
                    if cfg:
                        text = text.replace("{CONFIG}", cfg)
                    c = json.loads(text)
                    cid = fn[:-5] + "/" + t["name"] + (" - " + fmt if fmt else "") + (" - " + cfg if cfg else "")
                    yield cid, c


def run_corpus(fams, verbose):
    """The model against ksqlDB's expected outputs, per family."""
    ok = True
    for name, mod in fams.items():
        agree, disagree, scope = [], [], {}
        for cid, c in corpus_cases():
            if "expectedException" in c or not mod.corpus(cid, c):
                continue
            try:
                out = engine.expected_outputs(c)
            except OutOfScope as e:
                scope[cid] = str(e)
                continue
            d = compare.diff(c.get("outputs", []), out, {r["topic"] for r in c.get("outputs", [])} or None)
            (disagree if d else agree).append((cid, d))
        print("corpus %s: %d agree, %d disagree, %d out of the model's scope" % (name, len(agree), len(disagree),
                                                                                 len(scope)))
        for cid, d in disagree:
            print("  disagree: %s\n    %s" % (cid, d.replace("\n", "\n    ")))
        if verbose:
            for cid, why in sorted(scope.items()):
                print("  out of scope: %s: %s" % (cid, why))
        ok &= not disagree
    return ok


def main():
    ap = argparse.ArgumentParser(prog="difftest", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("family", nargs="?")
    ap.add_argument("n", nargs="?", type=int, default=100)
    ap.add_argument("seed", nargs="?")
    ap.add_argument("--list", action="store_true", help="print the families, one per line")
    ap.add_argument("--corpus", action="store_true", help="check the model against ksqlDB's corpus")
    ap.add_argument("--bootstrap", help="run each case through a real broker (sluice test --bootstrap)")
    ap.add_argument("--sluice", default=os.path.join(REPO, "build", "sluice"))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--from", dest="start", type=int, default=0, help="first case index")
    ap.add_argument("--show", type=int, default=3, help="failures to print")
    ap.add_argument("--shrink", type=int, default=1, help="failures to shrink and save")
    ap.add_argument("--no-save", action="store_true", help="do not save shrunk cases")
    ap.add_argument("--verbose", "-v", action="store_true")
    args = ap.parse_args()
    fams = families()
    if args.list:
        print("\n".join(fams))
        return 0
    if args.corpus:
        sel = fams if args.family in (None, "all") else {args.family: fams[args.family]}
        return 0 if run_corpus(sel, args.verbose) else 1
    if not args.family:
        ap.error("a family (or all, --list, --corpus) is needed")
    if args.family != "all" and args.family not in fams:
        ap.error("unknown family %s (families: %s)" % (args.family, ", ".join(fams)))
    if not os.access(args.sluice, os.X_OK):
        ap.error("no sluice binary at %s (build first, or --sluice PATH)" % args.sluice)
    seed = args.seed or str(random.SystemRandom().randrange(1, 10 ** 9))
    sel = fams.values() if args.family == "all" else [fams[args.family]]
    if args.bootstrap:
        sel = [m for m in sel if getattr(m, "STATEFUL", True) or args.family != "all"]
        if args.jobs == (os.cpu_count() or 2):
            args.jobs = 4
    ok = True
    for mod in sel:
        ok &= run_family(mod, args.n, seed, args)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

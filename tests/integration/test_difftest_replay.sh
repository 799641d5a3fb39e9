#!/usr/bin/env bash
# The regression cases scripts/difftest saved (tests/difftest) give the
# same records through a real broker: `sluice test --bootstrap` replays each
# with the Kafka driver of `sluice run` (one transaction per record, state in
# changelogs, repartition topics between the stages of a query). Some bugs
# live only on that path: a table row that stays in its group sent through
# the repartition topic as two changes (two updates, ksqlDB makes one), and
# the repartition topic read back as if it were a sink. Every topic is
# compared, as scripts/difftest compares them.
source "$(dirname "$0")/common.sh"
"$repo/../shared/conformance/qtt/run" --sluice "$SLUICE" --cases "$repo/tests/difftest" --quiet \
  --jobs "$(nproc)" --keep "$WORK/cases" --report "$WORK/report.json" > /dev/null || true
REPO=$repo "$PY" - "$WORK" "$SLUICE" "$BOOTSTRAP" <<'PY'
import json, os, subprocess, sys, time
work, sluice, bootstrap = sys.argv[1:4]
sys.path.insert(0, os.path.join(os.environ["REPO"], "tests", "model"))
import compare
report = json.load(open(os.path.join(work, "report.json")))
failed, start = [], time.time()
for case in sorted(report):
    d = os.path.join(work, "cases", case.replace("/", "_").replace(" ", "_"))
    if not os.path.isdir(d):
        failed.append(case)
        print("  FAIL %s (not written by the runner)" % case)
        continue
    p = subprocess.run([sluice, "test", "-s", os.path.join(d, "statements.sql"), "-i", os.path.join(d, "input.json"),
                        "--bootstrap", bootstrap], capture_output=True, text=True, timeout=180)
    if p.returncode != 0:
        failed.append(case)
        print("  FAIL %s (exit %d)" % (case, p.returncode))
        print("    " + "\n    ".join(l for l in p.stderr.splitlines() if "CONFWARN" not in l)[:2000])
        continue
    # every topic either side has, as difftest compares them
    why = compare.diff(json.load(open(os.path.join(d, "output.json"))).get("outputs", []),
                       json.loads(p.stdout).get("outputs", []))
    if why:
        failed.append(case)
        print("  FAIL %s\n    %s" % (case, why.replace("\n", "\n    ")))
print("difftest replay: %d of %d saved cases gave the same records through the broker (%.0f s)"
      % (len(report) - len(failed), len(report), time.time() - start))
sys.exit(1 if failed or not report else 0)
PY
echo "PASS difftest replay"

#!/usr/bin/env bash
# Windowed and session aggregation through a real broker: the regression
# cases of tests/cases/windows-*.json (retention, session merges, EMIT
# FINAL's order, HAVING) replayed with `sluice test --bootstrap` (the Kafka
# driver of `sluice run`, one transaction per record, state in changelogs)
# give the records ksqlDB's runner gives, none coalesced away (a session
# that keeps its window retracts and rewrites it in one record's outputs).
# Cases that write a record time of 0 are shifted by whole weeks on the way
# (see the replay driver): those that show window bounds in values are left
# out.
source "$(dirname "$0")/common.sh"
"$repo/../shared/conformance/qtt/run" --sluice "$SLUICE" --cases "$repo/tests/cases" --only windows- --quiet \
  --keep "$WORK/cases" --report "$WORK/report.json" > /dev/null
"$PY" - "$WORK" "$SLUICE" "$BOOTSTRAP" <<'PY'
import json, os, re, subprocess, sys
work, sluice, bootstrap = sys.argv[1:4]
report = json.load(open(os.path.join(work, "report.json")))
failed, ran = [], 0
for case, result in sorted(report.items()):
    d = os.path.join(work, "cases", re.sub(r"[^A-Za-z0-9_.-]+", "_", case))
    if result != "pass" or not os.path.exists(os.path.join(d, "output.json")):
        continue
    inputs = json.load(open(os.path.join(d, "input.json"))).get("inputs", [])
    if not inputs or any(i.get("timestamp", 0) <= 0 for i in inputs) and "WINDOWSTART" in open(os.path.join(d, "statements.sql")).read().upper():
        continue
    ran += 1
    p = subprocess.run([sluice, "test", "-s", os.path.join(d, "statements.sql"), "-i", os.path.join(d, "input.json"),
                        "-o", os.path.join(d, "output.json"), "--bootstrap", bootstrap],
                       capture_output=True, text=True, timeout=180)
    if p.returncode != 0:
        failed.append(case)
        print("  FAIL %s (exit %d)\n    %s" % (case, p.returncode, p.stderr.strip()[-1500:]))
print("window replay: %d of %d cases gave the same records through the broker" % (ran - len(failed), ran))
sys.exit(1 if failed or not ran else 0)
PY

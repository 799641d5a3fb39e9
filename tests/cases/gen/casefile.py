"""Writes a regression case file as the hand-written ones look: one
statement or record a line, so that a diff of a case shows what changed."""
import json
def dump_case_file(tests, path):
    """one statement / record a line, as the hand-written cases are"""
    lines = ['{"tests": [']
    for ti, t in enumerate(tests):
        lines.append(' {"name": %s,' % json.dumps(t["name"]))
        for k in [k for k in t if k != "name"]:
            v = t[k]
            if isinstance(v, list):
                lines.append('  %s: [' % json.dumps(k))
                for i, x in enumerate(v):
                    lines.append('   ' + json.dumps(x) + (',' if i < len(v) - 1 else ''))
                lines.append('  ],')
            else:
                lines.append('  %s: %s,' % (json.dumps(k), json.dumps(v)))
        lines[-1] = lines[-1].rstrip(',')
        lines.append(' }' + (',' if ti < len(tests) - 1 else ''))
    lines.append(']}')
    open(path, "w").write("\n".join(lines) + "\n")
    json.load(open(path))

"""The on-disk layout of a table file: one row, lookup entry, mib or alarm per line."""
import json


def one(x):
    return json.dumps(x, ensure_ascii=False)


def compact(doc):
    parts = ['{', f'  "$schema": {one(doc["$schema"])},', f'  "source": {one(doc["source"])},']
    if 'include' in doc:
        parts.append(f'  "include": {one(doc["include"])},')
    parts.append('  "mibs": [\n' + ',\n'.join('    ' + one(m) for m in doc['mibs']) + '\n  ],')
    if 'alarms' in doc:
        parts.append('  "alarms": [\n' + ',\n'.join('    ' + one(m) for m in doc['alarms']) + '\n  ],')
    lk = []
    for n, es in doc.get('lookups', {}).items():
        lk.append(f'    {one(n)}: [\n' + ',\n'.join('      ' + one(e) for e in es) + '\n    ]')
    if lk or 'include' not in doc:
        parts.append('  "lookups": {' + ('\n' + ',\n'.join(lk) + '\n  ' if lk else '') + '},')
    if 'remove' in doc:
        parts.append(f'  "remove": {one(doc["remove"])},')
    parts.append('  "rows": [\n' + ',\n'.join('    ' + one(r) for r in doc['rows']) + '\n  ]')
    return '\n'.join(parts) + '\n}\n'

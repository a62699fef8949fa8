#!/usr/bin/env python3
"""Reads NUT 2.8.0's usbhid-ups subdriver sources (drivers/*-hid.c, usbhid-ups.c, libhid.c)
and writes this package's tables/<subdriver>.json: claim ids, usage names, lookups and rows.

The tables are facts (usage codes, paths, flags, lookup values) from NUT's sources. Functions
the C tables point at (converters, claim hooks, report descriptor fixes) are written out by
name; src/converters.ts and src/quirks.ts implement them.
Usage: extract-nut-hid-tables.py [nut-drivers-dir] [outdir]
"""
import json, os, re, sys

SRC = sys.argv[1] if len(sys.argv) > 1 else '/work/nut-2.8.0/drivers'
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), '..', 'tables')

# Subdrivers in NUT 2.8.0's claim order (usbhid-ups.c subdriver_list), file and C symbol prefix.
SUBDRIVERS = [
    ('explore', 'explore-hid.c'), ('mge', 'mge-hid.c'), ('apc', 'apc-hid.c'),
    ('arduino', 'arduino-hid.c'), ('belkin', 'belkin-hid.c'), ('cps', 'cps-hid.c'),
    ('delta_ups', 'delta_ups-hid.c'), ('ever', 'ever-hid.c'), ('idowell', 'idowell-hid.c'),
    ('legrand', 'legrand-hid.c'), ('liebert', 'liebert-hid.c'), ('openups', 'openups-hid.c'),
    ('powercom', 'powercom-hid.c'), ('powervar', 'powervar-hid.c'), ('salicru', 'salicru-hid.c'),
    ('tripplite', 'tripplite-hid.c'),
]
# Conditionals as the Debian 2.8.0 build has them.
DEFINED = {'SHUT_MODE': False, 'DEBUG': False, 'WITH_UNMAPPED_DATA_POINTS': False,
           'USBHID_UPS_TRIPPLITE_DEBUG': False, 'HAVE_STRPTIME': True}
MACROS = {'DEFAULT_OFFDELAY': '"20"', 'DEFAULT_ONDELAY': '"30"'}
# What the claim functions do beyond the id table, read from each *_claim() and the id hooks.
CLAIM_EXTRA = {
    'mge': {'vendors': {
        '03f0': {'unknownProduct': 'productidOption', 'silent': True},
        '047c': {'unknownProduct': 'productidOption', 'silent': True},
        '06da': {'unknownProduct': 'reject', 'requireString': 'AEG'}}},
    'belkin': {'reject': [{'vendorId': '050d', 'productId': '0218'}]},
    'powercom': {
        'reject': [{'vendorId': '0d9f', 'productId': '0002',
                    'message': "This Powercom device (0d9f/0002) is not supported by usbhid-ups.\nPlease use the 'powercom' driver instead."}],
        'productSettings': [{'productId': '0001', 'interruptOnly': True, 'interruptSize': 8}]},
    'tripplite': {
        'vendors': {'03f0': {'unknownProduct': 'productidOption', 'silent': True},
                    '05dd': {'unknownProduct': 'reject'}},
        'reject': [{'vendorId': '09ae', 'productId': '0001',
                    'message': 'This TrippLite device (09ae/0001) is not supported by usbhid-ups.\nPlease use the tripplite_usb driver instead.'}]},
    'arduino': {'usb': {'interface': 2, 'endpointIn': 4, 'endpointOut': 5}},
    'powervar': {'usb': {'interface': 1}},
}
# Converters that only test bits of the value: written as data (read from each *_fun body).
def _flag(mask, on, off, equals=None):
    f = {'mask': mask, 'set': on, 'clear': off}
    if equals is not None: f['equals'] = equals
    return {'flag': f}
FLAG_LOOKUPS = {
    'liebert_online_info': _flag(-1, 'online', '!online'),
    'liebert_discharging_info': _flag(-1, 'dischrg', '!dischrg'),
    'liebert_charging_info': _flag(-1, 'chrg', '!chrg'),
    'liebert_lowbatt_info': _flag(-1, 'lowbatt', '!lowbatt'),
    'liebert_replacebatt_info': _flag(-1, 'replacebatt', '!replacebatt'),
    'liebert_shutdownimm_info': _flag(-1, 'shutdownimm', '!shutdownimm'),
    'belkin_overload_conversion': _flag(0x10, 'overload', '!overload'),
    'belkin_overheat_conversion': _flag(0x40, 'overheat', '!overheat'),
    'belkin_commfault_conversion': _flag(0x80, 'commfault', '!commfault'),
    'belkin_awaitingpower_conversion': _flag(0x2000, 'awaitingpower', '!awaitingpower'),
    'belkin_online_conversion': _flag(0x1, '!online', 'online'),
    'belkin_lowbatt_conversion': _flag(0x4, 'lowbatt', '!lowbatt'),
    'belkin_depleted_conversion': _flag(0x40, 'depleted', '!depleted'),
    'belkin_replacebatt_conversion': _flag(0x80, 'replacebatt', '!replacebatt'),
    'powercom_upsfail_conversion': _flag(0x1, 'fanfail', '!fanfail'),
    'powercom_replacebatt_conversion': _flag(0x2, 'replacebatt', '!replacebatt'),
    'powercom_test_conversion': _flag(0x4, 'cal', '!cal'),
    'powercom_shutdownimm_conversion': _flag(0x10, 'shutdownimm', '!shutdownimm'),
    'powercom_online_conversion': _flag(0x1, '!online', 'online'),
    'powercom_lowbatt_conversion': _flag(0x2, 'lowbatt', '!lowbatt'),
    'powercom_trim_conversion': _flag(0x18, 'trim', '!trim', 0x8),
    'powercom_boost_conversion': _flag(0x18, 'boost', '!boost', 0x18),
    'powercom_overload_conversion': _flag(0x20, 'overload', '!overload'),
    'openups_charging_info': _flag(-1, 'chrg', '!chrg'),
    'openups_discharging_info': _flag(-1, 'dischrg', '!dischrg'),
    'openups_online_info': _flag(-1, 'online', '!online'),
    'openups_nobattery_info': _flag(-1, 'nobattery', '!nobattery'),
    'openups_off_info': _flag(-1, '!off', 'off'),
}
HU = {'HU_FLAG_STATIC': 'static', 'HU_FLAG_SEMI_STATIC': 'semiStatic', 'HU_FLAG_ABSENT': 'absent',
      'HU_FLAG_QUICK_POLL': 'quickPoll', 'HU_FLAG_STALE': 'stale', 'HU_TYPE_CMD': 'command',
      'HU_FLAG_ENUM': 'enum'}


def strip_comments(t):
    t = re.sub(r'/\*.*?\*/', ' ', t, flags=re.S)
    return re.sub(r'//[^\n]*', '', t)


def preprocess(text):
    out, stack = [], []
    for line in text.split('\n'):
        s = line.strip()
        m = re.match(r'#\s*(if|ifdef|ifndef|elif|else|endif)\b(.*)', s)
        if m:
            kw, arg = m.group(1), m.group(2).strip()
            if kw in ('if', 'ifdef', 'ifndef'):
                if kw == 'if':
                    name = re.sub(r'[()!]|defined', '', arg).strip()
                    val = (arg.strip() not in ('0',)) and DEFINED.get(name, arg.strip() == '1')
                    if arg.startswith('!'):
                        val = not DEFINED.get(name, False)
                else:
                    val = DEFINED.get(arg, False)
                    if kw == 'ifndef':
                        val = not val
                stack.append([val, val])
            elif kw == 'else':
                top = stack[-1]
                top[0] = not top[1]
            elif kw == 'elif':
                top = stack[-1]
                top[0] = False
            elif kw == 'endif':
                stack.pop()
            continue
        if all(f[0] for f in stack):
            out.append(line)
    return '\n'.join(out)


def defines(text):
    d = dict(MACROS)
    for m in re.finditer(r'^\s*#\s*define\s+(\w+)\s+([^\n]+)', text, re.M):
        d[m.group(1)] = m.group(2).strip()
    return d


def arrays(text, ctype):
    res = {}
    for m in re.finditer(r'(?:static\s+)?(?:const\s+)?' + ctype + r'\s+(\w+)\s*\[\s*\]\s*=\s*\{', text):
        i, depth = m.end(), 1
        while depth:
            c = text[i]
            if c == '{': depth += 1
            elif c == '}': depth -= 1
            elif c == '"':
                i += 1
                while text[i] != '"':
                    i += 2 if text[i] == '\\' else 1
            i += 1
        res[m.group(1)] = text[m.end():i - 1]
    return res


def entries(body):
    """Top-level {...} groups of an initializer body, each split into fields."""
    out, i = [], 0
    while i < len(body):
        if body[i] == '{':
            depth, j, fields, cur = 1, i + 1, [], ''
            while depth:
                c = body[j]
                if c == '"':
                    k = j + 1
                    while body[k] != '"':
                        k += 2 if body[k] == '\\' else 1
                    cur += body[j:k + 1]; j = k + 1; continue
                if c in '{(': depth += 1
                elif c in '})':
                    depth -= 1
                    if depth == 0: break
                if c == ',' and depth == 1:
                    fields.append(cur.strip()); cur = ''
                else:
                    cur += c
                j += 1
            if cur.strip(): fields.append(cur.strip())
            out.append(fields); i = j + 1
        else:
            i += 1
    return out


def cstring(tok, defs):
    tok = tok.strip()
    while tok in defs: tok = defs[tok]
    if tok == 'NULL': return None
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', tok)
    if not parts: raise ValueError('not a string: ' + tok)
    return ''.join(parts).encode().decode('unicode_escape')


def cint(tok, defs):
    tok = tok.strip()
    while tok in defs: tok = defs[tok]
    tok = re.sub(r'\(\s*(?:long|int|unsigned)\s*\)', '', tok)
    tok = re.sub(r'(?<=[0-9a-fA-F])[UuLl]+\b', '', tok)
    return int(eval(tok, {}, {}))


def lookup_of(name, body, defs):
    if name in FLAG_LOOKUPS: return FLAG_LOOKUPS[name]
    rows = entries(body)
    # NUT uses the first row's functions when it has any (hu_find_infoval / hu_find_valinfo).
    if rows and len(rows[0]) == 4 and (rows[0][2] != 'NULL' or rows[0][3] != 'NULL'):
        fun, nuf = rows[0][2].lstrip('&'), rows[0][3].lstrip('&')
        conv = {'converter': name, 'decode': None if fun == 'NULL' else fun, 'encode': None if nuf == 'NULL' else nuf}
        # The rows' values still list the choices (NUT offers them as enums through the function).
        listed = [{'value': cint(r[0], defs), 'text': cstring(r[1], defs)} for r in rows if len(r) == 4 and r[1] != 'NULL' and cstring(r[1], defs) != 'dummy']
        if listed: conv['values'] = listed
        return conv
    values = []
    for r in rows:
        text = cstring(r[1], defs)
        if text is None: break
        values.append({'value': cint(r[0], defs), 'text': text})
    return {'values': values}


def flags_of(tok, names):
    toks = [t.strip() for t in re.split(r'\|', tok) if t.strip() and t.strip() != '0']
    out = []
    for t in toks:
        if t not in names: raise ValueError('unknown flag ' + t)
        out.append(names[t])
    return out


def rows_of(body, defs, lookups):
    out = []
    for f in entries(body):
        if len(f) < 8 or f[0] == 'NULL': continue
        name = cstring(f[0], defs)
        st = flags_of(f[1], {'ST_FLAG_RW': 'rw', 'ST_FLAG_STRING': 'string', 'ST_FLAG_NUMBER': 'number'})
        length = cint(f[2], defs)
        path = cstring(f[3], defs)
        dfl = cstring(f[5], defs)
        hu = flags_of(f[6], HU)
        lk = f[7].strip()
        row = {}
        if name == 'BOOL': row['status'] = True
        elif name == 'ups.alarm': row['alarm'] = True
        elif 'command' in hu: row['command'] = name
        else: row['var'] = name
        row['path'] = path
        if 'command' in hu:
            if dfl is not None: row['value'] = dfl
            hu.remove('command')
        elif 'absent' in hu:
            row['default'] = dfl
        elif dfl is not None and lk == 'NULL':
            row['format'] = dfl
        if 'rw' in st: row['writable'] = True
        if 'number' in st: row['number'] = True
        if 'string' in st: row['stringLength'] = length
        elif length: row['length'] = length
        for h in hu: row[h] = True
        if lk != 'NULL':
            if lk not in lookups: raise ValueError('unknown lookup ' + lk)
            row['lookup'] = lk
        out.append(row)
    return out


def usages_of(body, defs):
    out = []
    for f in entries(body):
        if len(f) < 2 or f[0] == 'NULL': continue
        out.append([cstring(f[0], defs), '%08x' % cint(f[1], defs)])
    return out


def claim_of(body, defs):
    ids = []
    for f in entries(body):
        if not f or f[0] in ('0', 'NULL'): continue
        m = re.match(r'USB_DEVICE\s*\(\s*(\w+)\s*,\s*(\w+)\s*\)', f[0])
        if not m:
            continue
        e = {'vendorId': '%04x' % cint(m.group(1), defs), 'productId': '%04x' % cint(m.group(2), defs)}
        hook = f[1].strip() if len(f) > 1 else 'NULL'
        if hook != 'NULL': e['hook'] = hook
        ids.append(e)
    return ids


generic_text = preprocess(strip_comments(open(os.path.join(SRC, 'usbhid-ups.c')).read()))
gdefs = defines(generic_text)
generic_lookups = {n: lookup_of(n, b, gdefs) for n, b in arrays(generic_text, 'info_lkp_t').items()}
libhid = preprocess(strip_comments(open(os.path.join(SRC, 'libhid.c')).read()))
generic_usages = usages_of(arrays(libhid, 'usage_lkp_t')['hid_usage_lkp'], {})
ver = re.search(r'#define DRIVER_VERSION\s+"([^"]+)"', open(os.path.join(SRC, 'usbhid-ups.c')).read()).group(1)

os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, 'usbhid-ups.json'), 'w') as fh:
    json.dump({'$schema': '../schema/hid-table.schema.json',
               'source': 'NUT 2.8.0 drivers/usbhid-ups.c (lookups), drivers/libhid.c (hid_usage_lkp)',
               'driverVersion': ver,
               'usages': generic_usages, 'lookups': generic_lookups}, fh, indent=1)
    fh.write('\n')

for order, (name, fname) in enumerate(SUBDRIVERS):
    raw = open(os.path.join(SRC, fname)).read()
    text = preprocess(strip_comments(raw))
    defs = defines(text)
    lk = {n: lookup_of(n, b, defs) for n, b in arrays(text, 'info_lkp_t').items()}
    known = dict(generic_lookups); known.update(lk)
    hid = arrays(text, 'hid_info_t')
    utabs = arrays(text, 'usage_lkp_t')
    devs = arrays(text, 'usb_device_id_t')
    sub = re.search(r'subdriver_t\s+\w+\s*=\s*\{(.*?)\};', text, re.S).group(1)
    sf = [s.strip() for s in sub.split(',') if s.strip()]
    version = cstring(sf[0], defs)
    table = {'$schema': '../schema/hid-table.schema.json', 'source': 'NUT 2.8.0 drivers/' + fname,
             'subdriver': name, 'version': version, 'order': order}
    claim = {'ids': []}
    for b in devs.values(): claim['ids'] += claim_of(b, defs)
    m = re.search(r'static int \w+_claim\(HIDDevice_t\s*\*\s*hd\)\s*\{(.*?)\n\}', text, re.S)
    if m:
        body = m.group(1)
        claim['possiblySupported'] = 'POSSIBLY_SUPPORTED' in body and 'getval("productid")' in body
        ps = re.search(r'possibly_supported\("([^"]+)"', body)
        if ps: claim['vendorName'] = ps.group(1)
    for e in claim['ids']:
        if 'hook' in e: e['hook'] = e['hook'].lstrip('&')
    claim.update(CLAIM_EXTRA.get(name, {}))
    if name == 'explore':
        claim = {'explore': True}
    table['claim'] = claim
    usages = []
    for b in utabs.values(): usages += usages_of(b, defs)
    table['usages'] = usages
    table['lookups'] = lk
    rows = []
    for b in hid.values(): rows += rows_of(b, defs, known)
    table['rows'] = rows
    identity = {}
    for key, fn in (('model', sf[4]), ('mfr', sf[5]), ('serial', sf[6])):
        m = re.search(r'static const char \*' + fn + r'\(HIDDevice_t\s*\*\s*hd\)\s*\{(.*?)\n\}', text, re.S)
        body = re.sub(r'NUT_UNUSED_VARIABLE\(hd\);', '', m.group(1)).strip() if m else ''
        simple = re.fullmatch(r'return hd->(Vendor|Product|Serial)(?: \? hd->\1 : "([^"]*)")?;', body)
        if simple and simple.group(1).lower() == {'model': 'product', 'mfr': 'vendor', 'serial': 'serial'}[key]:
            if simple.group(2) is not None: identity[key + 'Default'] = simple.group(2)
        else:
            identity[key] = fn
    table['identity'] = identity
    models = arrays(text, 'models_name_t')
    if models:
        enum = {}
        body = re.search(r'typedef enum \{(.*?)\} models_type_t;', text, re.S).group(1)
        nxt = 0
        for part in [p.strip() for p in body.split(',') if p.strip()]:
            m = re.match(r'(\w+)(?:\s*=\s*(\w+))?', part)
            nxt = int(m.group(2), 0) if m.group(2) else nxt
            enum[m.group(1)] = nxt
            nxt += 1
        table['models'] = [
            {'product': cstring(f[0], defs), 'model': cstring(f[1], defs), 'type': enum[f[2].strip()], 'typeName': f[2].strip(),
             **({'name': cstring(f[3], defs)} if cstring(f[3], defs) is not None else {})}
            for f in entries(list(models.values())[0]) if f and f[0] != 'NULL']
    fix = sf[7] if len(sf) > 7 else 'NULL'
    if fix not in ('NULL', 'fix_report_desc'): table['fixReportDesc'] = fix
    with open(os.path.join(OUT, name + '.json'), 'w') as fh:
        json.dump(table, fh, indent=1)
        fh.write('\n')
    print(name, version, len(claim.get('ids', [])), 'ids', len(usages), 'usages', len(lk), 'lookups', len(rows), 'rows')

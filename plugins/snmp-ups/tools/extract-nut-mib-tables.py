#!/usr/bin/env python3
"""Reads the MIB-to-NUT mapping tables compiled into NUT 2.8.0's snmp-ups binary (Debian
nut-snmp, x86-64 PIE) and writes them as tables/<name>.json in this package's format.

The tables are facts (OIDs, lookups, flags) from NUT's drivers/*-mib.c; reading them from the
installed binary gives exactly what 2.8.0 runs. Usage: extract-nut-mib-tables.py [binary] [outdir]
"""
import json, struct, sys, os

BIN = sys.argv[1] if len(sys.argv) > 1 else '/lib/nut/snmp-ups'
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), '..', 'tables')
f = open(BIN, 'rb').read()

shoff = struct.unpack_from('<Q', f, 0x28)[0]
shentsize, shnum, shstrndx = struct.unpack_from('<HHH', f, 0x3a)
raw = [struct.unpack_from('<IIQQQQ', f, shoff + i * shentsize) for i in range(shnum)]
stro = raw[shstrndx][4]
secs = {}
for name, typ, flags, addr, off, size in raw:
    secs[f[stro + name:f.index(b'\0', stro + name)].decode()] = (addr, off, size)
rel = {}
_, o, sz = secs['.rela.dyn']
for i in range(0, sz, 24):
    off, info, add = struct.unpack_from('<QQq', f, o + i)
    if info & 0xffffffff == 8:
        rel[off] = add

def v2o(addr):
    for n, (va, off, sz) in secs.items():
        if va and va <= addr < va + sz and n != '.bss':
            return off + addr - va
    raise ValueError(hex(addr))
def ptr(a): return rel[a] if a in rel else struct.unpack_from('<Q', f, v2o(a))[0]
def cstr(a):
    if not a: return None
    o = v2o(a); return f[o:f.index(b'\0', o)].decode('latin1')
def i32(a): return struct.unpack_from('<i', f, v2o(a))[0]
def u64(a): return struct.unpack_from('<Q', f, v2o(a))[0]
def dbl(a): return struct.unpack_from('<d', f, v2o(a))[0]

FLAG_NAMES = {0: 'OK', 1: 'STATIC', 2: 'ABSENT', 3: 'STALE', 4: 'NEGINVALID', 5: 'UNIQUE',
              6: 'ZEROINVALID', 7: 'NAINVALID', 8: 'CMD_OFFSET', 9: 'SEMI_STATIC', 10: 'OUTLET_GROUP',
              11: 'OUTLET', 12: 'INPUT_1', 13: 'INPUT_3', 14: 'OUTPUT_1', 15: 'OUTPUT_3', 16: 'BYPASS_1',
              17: 'BYPASS_3', 18: 'TYPE_INT', 19: 'TYPE_TIME', 20: 'TYPE_CMD', 21: 'TYPE_DAISY_1',
              22: 'TYPE_DAISY_2', 23: 'DAISY', 24: 'TYPE_DAISY_MASTER_ONLY', 26: 'AMBIENT_TEMPLATE',
              28: 'STATUS_PWR', 29: 'STATUS_BATT', 30: 'STATUS_CAL', 31: 'STATUS_RB'}
# Converter functions, identified by the rows that use them (see src/converters.ts).
FUNCS = {0x28990: 'iso_date', 0x28ab0: 'eaton_sensor_temperature', 0x28ce0: 'eaton_sensor_temperature_unit',
         0x28c60: 'marlin_device_count'}
# Source file of each table in NUT's tree, by mib name.
SOURCES = {'apc_ats': 'apc-ats-mib.c', 'apc_pdu': 'apc-pdu-mib.c', 'apcc': 'apc-mib.c', 'baytech': 'baytech-mib.c',
           'bestpower': 'bestpower-mib.c', 'cpqpower': 'compaq-mib.c', 'cyberpower': 'cyberpower-mib.c',
           'delta_ups': 'delta_ups-mib.c', 'eaton_ats16_nmc': 'eaton-ats16-nmc-mib.c',
           'eaton_ats16_nm2': 'eaton-ats16-nm2-mib.c', 'eaton_ats30': 'eaton-ats30-mib.c',
           'eaton_epdu': 'eaton-pdu-marlin-mib.c', 'emerson_avocent_pdu': 'emerson-avocent-pdu-mib.c',
           'aphel_revelation': 'eaton-pdu-revelation-mib.c', 'aphel_genesisII': 'eaton-pdu-genesis2-mib.c',
           'pulizzi_switched1': 'eaton-pdu-pulizzi-mib.c', 'hpe_epdu': 'hpe-pdu-mib.c', 'huawei': 'huawei-mib.c',
           'mge': 'mge-mib.c', 'netvision': 'netvision-mib.c', 'pw': 'powerware-mib.c', 'raritan': 'raritan-pdu-mib.c',
           'raritan-px2': 'raritan-px2-mib.c', 'xppc': 'xppc-mib.c', 'tripplite': 'ietf-mib.c'}
FILE_NAMES = {'pulizzi_switched1': 'pulizzi', 'pw': 'powerware', 'tripplite': 'ietf'}

def read_lookup(a):
    out = []
    while True:
        s = ptr(a + 8); fv = ptr(a + 16); fn = ptr(a + 24)
        if (s == 0 and fv == 0 and fn == 0) or cstr(s) == 'NULL':
            break
        e = {'value': i32(a), 'text': cstr(s)}
        if fv: e['convert'] = FUNCS[fv]
        if fn: e['parse'] = FUNCS[fn]
        out.append(e); a += 32
    return out

def read_rows(a):
    rows = []
    while ptr(a):
        rows.append({'name': cstr(ptr(a)), 'info_flags': i32(a + 8), 'len': dbl(a + 16), 'oid': cstr(ptr(a + 24)),
                     'dfl': cstr(ptr(a + 32)), 'flags': u64(a + 40), 'lkp': ptr(a + 48)})
        a += 56
    return rows

sys.path.insert(0, os.path.dirname(__file__))
from rows_in_words import table_in_words  # noqa: E402
from table_layout import compact  # noqa: E402

entries = []
a = 0x48900  # mib2nut[] in .data.rel.ro (2.8.0 Debian amd64 build)
while ptr(a):
    p = ptr(a)
    m = [ptr(p + 8 * k) for k in range(7)]
    entries.append({'name': cstr(m[0]), 'version': cstr(m[1]), 'powerStatusOID': cstr(m[2]),
                    'autoCheckOID': cstr(m[3]), 'table': m[4], 'sysOID': cstr(m[5]), 'alarms': m[6]})
    a += 8

by_table = {}
for i, e in enumerate(entries):
    e['priority'] = (i + 1) * 10
    by_table.setdefault(e['table'], []).append(e)

os.makedirs(OUT, exist_ok=True)
for taddr, ents in by_table.items():
    first = ents[0]['name']
    fname = FILE_NAMES.get(first, first)
    rows = read_rows(taddr)
    lookups, lk_names = {}, {}
    out_rows = []
    for r in rows:
        row = {'name': r['name']}
        if r['oid'] is not None: row['oid'] = r['oid']
        row['len'] = r['len']
        if r['info_flags'] & 1: row['rw'] = True
        if r['info_flags'] & 2: row['string'] = True
        if r['info_flags'] & ~3: row['info_flags'] = r['info_flags']
        if r['dfl'] is not None: row['default'] = r['dfl']
        fl = [FLAG_NAMES[b] for b in range(64) if r['flags'] >> b & 1]
        if fl: row['flags'] = fl
        if r['lkp']:
            if r['lkp'] not in lk_names:
                base = r['name'].replace('%i', 'n')
                n, k = base, 2
                while n in lookups:
                    n = f'{base}#{k}'; k += 1
                lk_names[r['lkp']] = n
                lookups[n] = read_lookup(r['lkp'])
            row['lookup'] = lk_names[r['lkp']]
        out_rows.append(row)
    doc = {'$schema': '../schema/mib-table.schema.json',
           'source': f"NUT 2.8.0 drivers/{SOURCES.get(first, '?')}",
           'mibs': []}
    for e in ents:
        me = {'name': e['name'], 'version': e['version'], 'priority': e['priority']}
        if e['sysOID']: me['sysOID'] = e['sysOID']
        if e['autoCheckOID']: me['autoCheckOID'] = e['autoCheckOID']
        if e['powerStatusOID']: me['powerStatusOID'] = e['powerStatusOID']
        doc['mibs'].append(me)
    alarm_addr = ents[0]['alarms']
    if alarm_addr:
        al = []; j = alarm_addr
        while ptr(j):
            x = {'oid': cstr(ptr(j))}
            if ptr(j + 8): x['status'] = cstr(ptr(j + 8))
            if ptr(j + 16): x['alarm'] = cstr(ptr(j + 16))
            al.append(x); j += 24
        doc['alarms'] = al
    doc['lookups'] = lookups
    doc['rows'] = out_rows
    with open(os.path.join(OUT, fname + '.json'), 'w') as fh:
        fh.write(compact(table_in_words(doc)))
    print(fname, len(out_rows), 'rows', len(lookups), 'lookups')

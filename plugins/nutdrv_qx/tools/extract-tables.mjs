#!/usr/bin/env node
/**
 * Transcribes the protocol tables of NUT's nutdrv_qx subdrivers (drivers/nutdrv_qx_<p>.c:
 * item_t, info_rw_t and testing_t arrays, the subdriver_t record) into tables/<p>.json.
 * Usage: node tools/extract-tables.mjs /path/to/nut/drivers
 * Preprocessing functions stay names; src/functions/ implements them.
 */
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const driversDir = process.argv[2] ?? '/work/nut-2.8.0/drivers';
const outDir = join(here, '..', 'tables');

function tokenize(src) {
  src = src.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
  src = src.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n');
  const toks = [];
  const re = /\s+|("(?:\\.|[^"\\])*")|('(?:\\.|[^'\\])*')|([A-Za-z_]\w*)|(\d[\w.]*)|(.)/gy;
  let m;
  while ((m = re.exec(src))) {
    if (m[1]) {
      const s = unescapeC(m[1].slice(1, -1));
      const last = toks[toks.length - 1];
      if (last && last.t === 'str') last.v += s; // adjacent literals concatenate
      else toks.push({ t: 'str', v: s });
    } else if (m[2]) toks.push({ t: 'chr', v: unescapeC(m[2].slice(1, -1)) });
    else if (m[3]) toks.push({ t: 'id', v: m[3] });
    else if (m[4]) toks.push({ t: 'num', v: m[4] });
    else if (m[5]) toks.push({ t: 'p', v: m[5] });
  }
  return toks;
}

function unescapeC(s) {
  return s.replace(/\\(x[0-9A-Fa-f]{1,2}|[0-7]{1,3}|.)/g, (_, e) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return { n: '\n', r: '\r', t: '\t', '0': '\0', '\\': '\\', '"': '"', "'": "'" }[e] ?? e;
  });
}

/** Parses a brace initializer starting at toks[i] === '{'; returns [value, next index]. */
function parseInit(toks, i) {
  if (toks[i].v !== '{') throw new Error('expected {');
  i++;
  const out = [];
  let cur = [];
  while (true) {
    const t = toks[i];
    if (t.t === 'p' && t.v === '{') {
      const [v, j] = parseInit(toks, i);
      cur.push({ t: 'list', v });
      i = j;
      continue;
    }
    if (t.t === 'p' && (t.v === ',' || t.v === '}')) {
      if (cur.length) out.push(cur);
      cur = [];
      i++;
      if (t.v === '}') return [out, i];
      continue;
    }
    cur.push(t);
    i++;
  }
}

function findArrays(toks, type) {
  const found = {};
  for (let i = 0; i < toks.length - 4; i++) {
    if (toks[i].v === type && toks[i + 1].t === 'id' && toks[i + 2].v === '[' && toks[i + 3].v === ']' && toks[i + 4].v === '=') {
      found[toks[i + 1].v] = parseInit(toks, i + 5)[0].map((r) => (r.length === 1 && r[0].t === 'list' ? r[0].v : r));
    }
  }
  return found;
}

const FLAG_WORDS = {
  QX_FLAG_STATIC: 'static', QX_FLAG_SEMI_STATIC: 'semiStatic', QX_FLAG_ABSENT: 'absent',
  QX_FLAG_QUICK_POLL: 'quickPoll', QX_FLAG_CMD: 'command', QX_FLAG_SETVAR: 'setvar',
  QX_FLAG_TRIM: 'trim', QX_FLAG_ENUM: 'enum', QX_FLAG_RANGE: 'range', QX_FLAG_NONUT: 'nonut',
  QX_FLAG_SKIP: 'skip', ST_FLAG_RW: 'rw', ST_FLAG_STRING: 'string', ST_FLAG_NONE: null,
};
function flags(expr) {
  const words = [];
  for (const t of expr) {
    if (t.t === 'id') {
      if (!(t.v in FLAG_WORDS)) throw new Error(`unknown flag ${t.v}`);
      if (FLAG_WORDS[t.v]) words.push(FLAG_WORDS[t.v]);
    } else if (t.t === 'num' && t.v !== '0') throw new Error(`numeric flag ${t.v}`);
  }
  return words;
}
const one = (expr) => {
  if (expr.length !== 1) throw new Error(`expected one token, got ${expr.map((t) => t.v).join(' ')}`);
  return expr[0];
};
const str = (expr) => { const t = one(expr); return t.t === 'str' ? t.v : t.v === 'NULL' ? null : (() => { throw new Error(`not a string ${t.v}`); })(); };
const fn = (expr) => { const t = one(expr); return t.v === 'NULL' || t.v === '0' ? undefined : t.v; };
const num = (expr) => { const t = one(expr); if (t.t === 'chr') return t.v.charCodeAt(0); return Number(t.v); };

function rwList(rows) {
  return rows
    .map((r) => ({ value: str(r[0]), preprocess: r[1] ? fn(r[1]) : undefined }))
    .filter((r) => r.value !== '' && r.value !== null)
    .map((r) => (r.preprocess ? r : { value: r.value }));
}

function itemRow(r, rwArrays, defines) {
  const name = str(r[0]);
  if (name === null) return null;
  const qxflags = flags(r[11]);
  const row = { name };
  const nutFlags = flags(r[1]);
  if (nutFlags.length) row.nutFlags = nutFlags;
  const rwName = fn(r[2]);
  if (rwName) row.rw = rwList(rwArrays[rwName] ?? (() => { throw new Error(`no info_rw ${rwName}`); })());
  const command = str(r[3]);
  if (command !== null && command !== '') row.command = command;
  if (num(r[5])) row.minLength = num(r[5]);
  const leading = one(r[6]);
  if (leading.t === 'chr' && leading.v !== '\0') row.leading = leading.v;
  if (num(r[8]) || num(r[9])) { row.from = num(r[8]); row.to = num(r[9]); }
  const dflTok = one(r[10]);
  const dfl = dflTok.t === 'str' ? dflTok.v : dflTok.t === 'id' && dflTok.v !== 'NULL' ? defines[dflTok.v] : null;
  if (dflTok.t === 'id' && dflTok.v !== 'NULL' && dfl === undefined) throw new Error(`unknown define ${dflTok.v}`);
  if (dfl !== null) {
    if (qxflags.includes('absent') || qxflags.includes('command')) row.default = dfl;
    else row.format = dfl;
  }
  if (qxflags.length) row.flags = qxflags;
  const pc = fn(r[12]), pa = fn(r[13]), pp = fn(r[14]);
  if (pc) row.preprocessCommand = pc;
  if (pa) row.preprocessAnswer = pa;
  if (pp) row.preprocess = pp;
  return row;
}

const common = readFileSync(join(driversDir, 'nutdrv_qx_blazer-common.c'), 'latin1');
const commonRw = findArrays(tokenize(common), 'info_rw_t');
const hdr = readFileSync(join(driversDir, 'nutdrv_qx.h'), 'latin1');
const baseDefines = Object.fromEntries([...hdr.matchAll(/#define\s+(\w+)\s+"([^"]*)"/g)].map((m) => [m[1], m[2]]));

const order = ['voltronic', 'voltronic-qs', 'voltronic-qs-hex', 'mustek', 'megatec-old', 'bestups', 'mecer', 'megatec', 'zinto', 'masterguard', 'hunnox', 'ablerex', 'q1'];
for (const file of readdirSync(driversDir).filter((f) => /^nutdrv_qx_.*\.c$/.test(f) && !f.includes('blazer-common'))) {
  const id = file.slice('nutdrv_qx_'.length, -2);
  const src = readFileSync(join(driversDir, file), 'latin1');
  const defines = { ...baseDefines, ...Object.fromEntries([...src.matchAll(/#define\s+(\w+)\s+"([^"]*)"/g)].map((m) => [m[1], m[2]])) };
  const toks = tokenize(src);
  const rwArrays = { ...commonRw, ...findArrays(toks, 'info_rw_t') };
  const items = Object.values(findArrays(toks, 'item_t'))[0];
  const testing = Object.values(findArrays(toks, 'testing_t'))[0] ?? [];
  let sub;
  for (let i = 0; i < toks.length - 2; i++) {
    if (toks[i].v === 'subdriver_t' && toks[i + 2]?.v === '=') sub = parseInit(toks, i + 3)[0];
  }
  const version = defines[one(sub[0]).v];
  const initupsFn = fn(sub[3]);
  let initups;
  if (initupsFn) {
    const body = src.match(new RegExp(`${initupsFn}\\(void\\)\\s*\\{\\s*(\\w+)\\(`));
    initups = body ? body[1] : initupsFn;
  }
  const table = {
    $schema: '../schema/protocol.schema.json',
    protocol: version.slice(0, version.indexOf(' ')).toLowerCase(),
    version,
    detectionOrder: order.indexOf(id),
    claim: fn(sub[1]),
    ...(initups ? { initups } : {}),
    ...(fn(sub[4]) ? { initinfo: fn(sub[4]) } : {}),
    options: fn(sub[5]),
    ...(str(sub[6]) !== null ? { accepted: str(sub[6]) } : {}),
    ...(str(sub[7]) !== null ? { rejected: str(sub[7]) } : {}),
    items: items.map((r) => itemRow(r, rwArrays, defines)).filter(Boolean),
    testing: testing
      .filter((r) => r.length >= 2)
      .map((r) => {
        const t = { command: str(r[0]), answer: one(r[1]).t === 'str' ? one(r[1]).v : '' };
        const len = r[2] ? Number(r[2].map((x) => x.v).join('')) : -1;
        if (len > 0) t.length = len;
        return t;
      }),
  };
  // Bytes above 0x7e (binary test replies) stay readable as \u00XX escapes.
  const json = JSON.stringify(table, null, 2).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  writeFileSync(join(outDir, `${table.protocol.replace('/', '-')}.json`), json + '\n');
  console.log(`${file}: ${table.version}, ${table.items.length} items, ${table.testing.length} tests`);
}

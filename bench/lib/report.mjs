/** Machine description and the printed table. */
import { readFileSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { execFileSync } from 'node:child_process';

export function machine() {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) model = m[1];
  } catch {
    /* not Linux */
  }
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    /* keep os.cpus() */
  }
  let nutVersion = 'unknown';
  try {
    nutVersion = execFileSync('/lib/nut/upsd', ['-V'], { encoding: 'utf8' }).trim().split('\n')[0];
  } catch (e) {
    nutVersion = String(e.stdout ?? '').trim().split('\n')[0] || 'unknown';
  }
  return {
    nproc,
    cpu: model,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    nut: nutVersion,
  };
}

export function fmt(v, unit) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '';
  const a = Math.abs(v);
  const s = a >= 1000 ? v.toFixed(0) : a >= 100 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
  return `${s} ${unit}`;
}

function cell(row, side) {
  const v = row[side];
  if (v !== null) return fmt(v, row.unit);
  const why = row[`${side}Na`];
  return why ? `n/a (${why.length > 48 ? why.slice(0, 45) + '...' : why})` : 'n/a';
}

export function tableRows(rows) {
  return rows.map((r) => [
    r.figure,
    cell(r, 'ours'),
    cell(r, 'nut'),
    r.ratio === null ? '' : `${r.ratio.toFixed(2)}${r.verdict === 'NUT ahead' ? ' (behind)' : ''}`,
  ]);
}

export function printTable(rows) {
  const head = ['figure', 'ours', 'NUT', 'ratio ours/NUT'];
  const body = tableRows(rows);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cols) => cols.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)].join('\n');
}

export function markdownTable(rows) {
  const body = tableRows(rows);
  return ['| figure | ours | NUT | ratio ours/NUT |', '|---|---:|---:|---:|', ...body.map((b) => `| ${b.join(' | ')} |`)].join('\n');
}

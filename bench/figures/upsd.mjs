/**
 * Figure 1 — upsd: GET VAR and LIST VAR latency (p50/p99) and throughput with 1…1,000
 * concurrent clients, and a Prometheus-exporter-style scrape, both servers on the same DDL dump.
 */
import { join } from 'node:path';
import { FIXTURES } from '../lib/sandbox.mjs';
import { startNut } from '../lib/nut-side.mjs';
import { startOurs } from '../lib/ours-side.mjs';
import { closedLoop, scrapes } from '../lib/load.mjs';
import { settledNames } from '../lib/nutclient.mjs';

export const id = 'upsd';
export const title = 'upsd: request latency, throughput, exporter scrape';

export const DDL = 'APC__Silcon_120kW_3-3__snmp-ups__2.1.0__01.dev';

export async function run(ctx) {
  const { rows, runs, quick, log } = ctx;
  const devices = [{ name: 'ups', port: 'device.dev', src: join(FIXTURES, 'ddl', DDL) }];
  const levels = quick ? [1, 10] : [1, 10, 100, 1000];
  const durationMs = quick ? 300 : 1000;
  const ops = [
    ['getvar', 'GET VAR', 'GET VAR ups ups.status', (a) => a.startsWith('VAR ')],
    ['listvar', 'LIST VAR', 'LIST VAR ups', (a) => a.startsWith('BEGIN LIST VAR')],
  ];
  for (const [key, label] of ops)
    for (const c of levels) {
      rows.get(`upsd.${key}.c${c}.p50`, `${label} p50, ${c} client${c > 1 ? 's' : ''}`, 'ms', 'lower');
      rows.get(`upsd.${key}.c${c}.p99`, `${label} p99, ${c} client${c > 1 ? 's' : ''}`, 'ms', 'lower');
      rows.get(`upsd.${key}.c${c}.rps`, `${label} throughput, ${c} client${c > 1 ? 's' : ''}`, 'req/s', 'higher');
      rows.get(`upsd.${key}.c${c}.cpu`, `${label} server CPU per request, ${c} client${c > 1 ? 's' : ''}`, 'us', 'lower');
    }
  rows.get('upsd.scrape.p50', 'exporter scrape (LIST VAR + GET TYPE/DESC each), p50', 'ms', 'lower');

  const stacks = {};
  stacks.nut = await startNut(devices);
  log(`  NUT: ${stacks.nut.mode} on :${stacks.nut.port}`);
  const ours = await startOurs(devices);
  if (ours.stack) {
    stacks.ours = ours.stack;
    ctx.modes.upsd = ours.stack.mode;
    log(`  ours: ${ours.stack.mode} on :${ours.stack.port}`);
  } else {
    rows.naAll('ours', ours.reason);
    log(`  ours: n/a (${ours.reason})`);
  }
  try {
    // Same data on both sides? (variable names of LIST VAR)
    const listed = {};
    for (const side of Object.keys(stacks)) listed[side] = await settledNames(stacks[side].port, 'ups');
    ctx.notes.push(`upsd: LIST VAR has ${listed.nut.length} variables on NUT` + (listed.ours ? `, ${listed.ours.length} on ours` : ''));

    for (let r = 0; r < runs; r++) {
      // Alternate which side goes first, so drift in machine load hits both alike.
      const order = r % 2 ? ['ours', 'nut'] : ['nut', 'ours'];
      for (const [key, , line, check] of ops)
        for (const c of levels)
          for (const side of order) {
            if (!stacks[side] || ctx.overBudget()) continue;
            try {
              const serverPids = stacks[side].pids();
              const m = await closedLoop({ port: stacks[side].port, clients: c, line, durationMs, check, serverPids });
              rows.get(`upsd.${key}.c${c}.p50`).add(side, m.p50);
              rows.get(`upsd.${key}.c${c}.p99`).add(side, m.p99);
              rows.get(`upsd.${key}.c${c}.rps`).add(side, m.rps);
              rows.get(`upsd.${key}.c${c}.cpu`).add(side, m.cpuUsPerReq);
              if (m.errors) ctx.notes.push(`upsd ${side} ${key} c=${c} run ${r + 1}: ${m.errors} client errors`);
            } catch (e) {
              for (const s of ['p50', 'p99', 'rps', 'cpu']) rows.get(`upsd.${key}.c${c}.${s}`).na(side, e.message);
              log(`  ${side} ${key} c=${c}: ${e.message}`);
            }
          }
      for (const side of order) {
        if (!stacks[side]) continue;
        try {
          const s = await scrapes(stacks[side].port, 'ups', quick ? 3 : 10, 30_000);
          rows.get('upsd.scrape.p50').add(side, s.p50);
          if (r === 0) ctx.notes.push(`upsd: one ${side} scrape = ${s.requests} requests`);
        } catch (e) {
          rows.get('upsd.scrape.p50').na(side, e.message);
        }
      }
      log(`  run ${r + 1}/${runs} done`);
    }
  } finally {
    for (const st of Object.values(stacks)) await st.stop();
  }
}

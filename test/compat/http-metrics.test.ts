/**
 * /metrics parsed by the Prometheus project's own Python client (Debian python3-prometheus-client),
 * its values checked against NUT 2.8.0's upsc reading the same real device dump through NUT's
 * dummy-ups and upsd, and the queries of nut_exporter's Grafana dashboard run against it.
 */
import { execFile, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, startTestHost, type TestHost } from '../../core/test/http/harness.js';
import { freePort, makeSandbox, requireOracle, startNutDriver, startNutUpsd, type Sandbox } from '../helpers/oracle.js';

const run = promisify(execFile);
const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'ddl', 'Cyber_Power_Systems__BL1250U__usbhid-ups__2.7.4__03.dev');
/** Debian's python3 (python3-prometheus-client), not whatever python3 comes first on the PATH. */
const PYTHON = '/usr/bin/python3';
const dashboard = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'nut-exporter-dashboard-queries.json'), 'utf8')) as {
  variable: { metric: string; label: string };
  queries: string[];
  legends: Record<string, string[]>;
};

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Family {
  name: string;
  type: string;
  samples: Sample[];
}

const PARSER = `
import sys, json
from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    out.append({"name": f.name, "type": f.type, "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]})
print(json.dumps(out))
`;

function requireParser(): void {
  const r = spawnSync(PYTHON, ['-c', 'import prometheus_client.parser'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3-prometheus-client is missing (apt-get install -y python3-prometheus-client): ${r.stderr}`);
}

function parse(text: string): Family[] {
  const r = spawnSync(PYTHON, ['-c', PARSER], { input: text, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the Prometheus parser rejected /metrics: ${r.stderr}`);
  return JSON.parse(r.stdout) as Family[];
}

/** A selector `name{label="value",…}` with an optional `== N` filter, as the dashboard writes them. */
function select(families: Family[], query: string): Sample[] {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}(?:\s*==\s*(\S+))?$/.exec(query.trim());
  if (!m) throw new Error(`unsupported query ${query}`);
  const matchers = m[2].split(',').filter(Boolean).map((p) => /^\s*(\w+)\s*=\s*"([^"]*)"\s*$/.exec(p)!.slice(1, 3));
  const samples = families.flatMap((f) => f.samples).filter((s) => s.name === m[1]);
  return samples.filter((s) => matchers.every(([k, v]) => s.labels[k] === v) && (m[3] === undefined || s.value === Number(m[3])));
}

describe('/metrics against a real Prometheus parser, NUT and the Grafana dashboard', () => {
  let t: TestHost;
  let sb: Sandbox;
  const children: ChildProcess[] = [];
  let families: Family[];
  let nut: Map<string, string>;

  beforeAll(async () => {
    requireOracle();
    requireParser();
    const dev = readFileSync(FIXTURE, 'utf8');
    // NUT: its dummy-ups and upsd on the same dump; upsc gives the values expected
    sb = makeSandbox('nut-ts-metrics-');
    const port = await freePort();
    sb.write('ups.conf', '[real]\n driver = dummy-ups\n port = real.dev\n');
    sb.write('real.dev', dev);
    children.push(startNutDriver(sb, 'dummy-ups', 'real'));
    children.push(await startNutUpsd(sb, port));
    let list = '';
    for (let i = 0; i < 150 && !list.includes('battery.charge:'); i++) {
      list = (await run('upsc', [`real@127.0.0.1:${port}`], { encoding: 'utf8', env: sb.env }).catch(() => ({ stdout: '' }))).stdout;
      if (!list.includes('battery.charge:')) await new Promise((r) => setTimeout(r, 200));
    }
    expect(list).toContain('battery.charge:');
    nut = new Map(list.trim().split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
    t = await startTestHost({ files: { 'dev.dev': dev } });
    const res = await fetch(`${t.base}/metrics`, { headers: { authorization: ADMIN } });
    expect(res.status).toBe(200);
    families = parse(await res.text());
  }, 90_000);

  afterAll(async () => {
    for (const c of children) c.kill('SIGTERM');
    await t?.close();
    sb?.cleanup();
  });

  it('every numeric variable NUT serves is a gauge named as nut_exporter names it, with the same value', () => {
    let compared = 0;
    for (const [name, value] of nut) {
      if (name === 'ups.status' || name.startsWith('driver.') || !/^[-+]?\d+(\.\d+)?$/.test(value)) continue;
      const metric = `network_ups_tools_${name.replace(/[.-]/g, '_')}`;
      const fam = families.find((f) => f.name === metric);
      expect(fam, metric).toBeDefined();
      expect(fam!.type).toBe('gauge');
      expect(fam!.samples.find((s) => s.labels.ups === 'dev')?.value, metric).toBe(Number(value));
      compared++;
    }
    expect(compared).toBeGreaterThan(10);
  });

  it('the status flags follow ups.status as NUT serves it', () => {
    const tokens = nut.get('ups.status')!.split(' ');
    const status = families.find((f) => f.name === 'network_ups_tools_ups_status')!;
    for (const tok of tokens) expect(status.samples.find((s) => s.labels.flag === tok)?.value, tok).toBe(1);
    expect(status.samples.filter((s) => s.value === 1).map((s) => s.labels.flag).sort()).toEqual([...tokens].sort());
    expect(status.samples.find((s) => s.labels.flag === 'OB')?.value).toBe(0);
  });

  it("every query of nut_exporter's dashboard selects data, with the labels its legends use", () => {
    const ups = [...new Set(families.find((f) => f.name === dashboard.variable.metric)!.samples.map((s) => s.labels[dashboard.variable.label]))];
    expect(ups).toEqual(['dev']);
    for (const q of dashboard.queries) {
      const got = select(families, q.replaceAll('$ups', ups[0]));
      expect(got.length, q).toBeGreaterThan(0);
      const metric = q.slice(0, q.indexOf('{'));
      for (const label of dashboard.legends[metric] ?? []) expect(got[0].labels[label], `${q} {{${label}}}`).toBeTruthy();
    }
    const info = select(families, 'network_ups_tools_device_info{ups="dev"}')[0];
    expect(info.labels.mfr).toBe(nut.get('device.mfr'));
    expect(info.labels.model).toBe(nut.get('device.model'));
  });

  it('each instance has its poll durations as a histogram the parser reads', async () => {
    // the first polls may still be ahead: scrape until one is counted
    let fam: Family | undefined;
    const counted = () => (fam?.samples.find((s) => s.name === 'nut_ts_poll_duration_seconds_count')?.value ?? 0) > 0;
    for (const t0 = Date.now(); !counted() && Date.now() - t0 < 30_000; await new Promise((r) => setTimeout(r, 100))) {
      const res = await fetch(`${t.base}/metrics`, { headers: { authorization: ADMIN } });
      fam = parse(await res.text()).find((f) => f.name === 'nut_ts_poll_duration_seconds');
    }
    expect(counted()).toBe(true);
    expect(fam!.type).toBe('histogram');
    const of = (suffix: string) => fam!.samples.filter((s) => s.name === `nut_ts_poll_duration_seconds${suffix}` && s.labels.ups === 'dev');
    const buckets = of('_bucket');
    const count = of('_count')[0].value;
    expect(buckets.at(-1)!.labels.le).toBe('+Inf');
    expect(buckets.at(-1)!.value).toBe(count);
    const bounds = buckets.map((b) => Number(b.labels.le));
    expect(bounds).toEqual([...bounds].sort((a, b) => a - b));
    for (let i = 1; i < buckets.length; i++) expect(buckets[i].value).toBeGreaterThanOrEqual(buckets[i - 1].value);
    const sum = of('_sum')[0].value;
    expect(sum).toBeGreaterThan(0);
    // dummy-ups polls a file: each poll is far below the largest finite bound
    expect(buckets.at(-2)!.value).toBe(count);
  }, 60_000);
});

/**
 * Prometheus text exposition (format 0.0.4) of every device, named as DRuggeri's
 * nut_exporter names them, so its Grafana dashboards and alert rules work unchanged:
 * `network_ups_tools_<variable>` (dots and dashes → `_`) for every numeric variable (and the
 * exporter's on/off words as 1/0), `network_ups_tools_ups_status{flag}` (1 per token present,
 * 0 for each of the exporter's default flags absent) and `network_ups_tools_device_info`.
 * nut_exporter emits no `ups` label (one UPS per scrape); we serve every device in one scrape
 * and add `ups="<name>"`, the label those dashboards filter on. Host metrics are `nut_ts_*`.
 */
import type { Device } from '../dstate/device.js';
import { describeVar } from '../dstate/descriptions.js';
import type { PollHistogram } from './histogram.js';

export const NAMESPACE = 'network_ups_tools';
export const DEFAULT_STATUSES = ['OL', 'OB', 'LB', 'HB', 'RB', 'CHRG', 'DISCHRG', 'BYPASS', 'CAL', 'OFF', 'OVER', 'TRIM', 'BOOST', 'FSD', 'SD'];
const INFO_LABELS: Array<[string, string]> = [
  ['model', 'device.model'],
  ['mfr', 'device.mfr'],
  ['serial', 'device.serial'],
  ['type', 'device.type'],
  ['description', 'device.description'],
  ['contact', 'device.contact'],
  ['location', 'device.location'],
  ['part', 'device.part'],
  ['macaddr', 'device.macaddr'],
];
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const ON = /^(enable|enabled|on|true|active|activated)$/i;
const OFF = /^(disable|disabled|off|false|inactive|deactivated)$/i;

export interface HostMetrics {
  instances: Array<{ name: string; state: string; restarts: number; connected: boolean; stale: boolean; uptimeSec?: number; polls?: PollHistogram }>;
  upsdClients: number | undefined;
  sseClients: number;
  mqttConnected?: boolean;
}

/** A NUT value as the exporter reads it; undefined = not exported. */
export function metricValue(raw: string): number | undefined {
  const v = raw.trim();
  if (NUMBER.test(v)) return Number(v);
  if (ON.test(v)) return 1;
  if (OFF.test(v)) return 0;
  return undefined;
}

export function metricName(variable: string): string {
  return `${NAMESPACE}_${variable.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

const escapeHelp = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labels = (pairs: Array<[string, string]>) => `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
const num = (n: number) => (Number.isFinite(n) ? String(n) : n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN');

class Families {
  private readonly families = new Map<string, { help: string; type: string; samples: string[] }>();
  add(name: string, help: string, type: string, sample: string): void {
    let f = this.families.get(name);
    if (!f) this.families.set(name, (f = { help, type, samples: [] }));
    f.samples.push(sample);
  }
  text(): string {
    let out = '';
    for (const [name, f] of this.families) {
      out += `# HELP ${name} ${escapeHelp(f.help)}\n# TYPE ${name} ${f.type}\n${f.samples.join('')}`;
    }
    return out;
  }
}

export function renderMetrics(devices: readonly Device[], host?: HostMetrics): string {
  const fam = new Families();
  for (const d of devices) {
    const ups: [string, string] = ['ups', d.name];
    const seen = new Set<string>();
    for (const node of d.tree.list()) {
      if (node.name.toLowerCase() === 'ups.status') continue;
      const value = metricValue(node.value);
      if (value === undefined) continue;
      const name = metricName(node.name);
      if (seen.has(name)) continue;
      seen.add(name);
      const help = `${describeVar(node.name) ?? 'Description unavailable'} (${node.name})`;
      fam.add(name, help, 'gauge', `${name}${labels([ups])} ${num(value)}\n`);
    }
    const status = d.tree.getValue('ups.status');
    if (status !== undefined) {
      const present = new Set(status.split(/\s+/).filter(Boolean));
      const flags = [...DEFAULT_STATUSES, ...[...present].filter((f) => !DEFAULT_STATUSES.includes(f))];
      for (const flag of flags) {
        fam.add(`${NAMESPACE}_ups_status`, 'UPS status flag (ups.status)', 'gauge', `${NAMESPACE}_ups_status${labels([ups, ['flag', flag]])} ${present.has(flag) ? 1 : 0}\n`);
      }
    }
    const info = INFO_LABELS.map(([label, v]): [string, string] => [label, d.tree.getValue(v) ?? '']);
    fam.add(`${NAMESPACE}_device_info`, 'UPS device information', 'gauge', `${NAMESPACE}_device_info${labels([ups, ...info])} 1\n`);
  }
  if (host) {
    for (const i of host.instances) {
      const l = labels([['ups', i.name]]);
      fam.add('nut_ts_instance_up', 'Driver instance running with its driver connected (1) or not (0)', 'gauge', `nut_ts_instance_up${l} ${i.connected ? 1 : 0}\n`);
      fam.add('nut_ts_instance_stale', 'Device data is stale (1) or fresh (0)', 'gauge', `nut_ts_instance_stale${l} ${i.stale ? 1 : 0}\n`);
      fam.add('nut_ts_instance_restarts_total', 'Restarts of the driver instance since the host started', 'counter', `nut_ts_instance_restarts_total${l} ${i.restarts}\n`);
      if (i.polls) {
        const help = 'Duration of the driver plugin’s updateinfo calls (one poll of the device)';
        i.polls.bounds.forEach((le, k) => fam.add('nut_ts_poll_duration_seconds', help, 'histogram', `nut_ts_poll_duration_seconds_bucket${labels([['ups', i.name], ['le', num(le)]])} ${i.polls!.counts[k]}\n`));
        fam.add('nut_ts_poll_duration_seconds', help, 'histogram', `nut_ts_poll_duration_seconds_bucket${labels([['ups', i.name], ['le', '+Inf']])} ${i.polls.count}\n`);
        fam.add('nut_ts_poll_duration_seconds', help, 'histogram', `nut_ts_poll_duration_seconds_sum${l} ${num(i.polls.sum)}\n`);
        fam.add('nut_ts_poll_duration_seconds', help, 'histogram', `nut_ts_poll_duration_seconds_count${l} ${i.polls.count}\n`);
      }
      if (i.uptimeSec !== undefined) fam.add('nut_ts_instance_uptime_seconds', 'Seconds since the current run of the instance started', 'gauge', `nut_ts_instance_uptime_seconds${l} ${i.uptimeSec}\n`);
    }
    const states = new Map<string, number>();
    for (const i of host.instances) states.set(i.state, (states.get(i.state) ?? 0) + 1);
    for (const [state, n] of states) fam.add('nut_ts_instances', 'Driver instances by state', 'gauge', `nut_ts_instances${labels([['state', state]])} ${n}\n`);
    if (host.upsdClients !== undefined) fam.add('nut_ts_upsd_clients', 'Client connections to upsd', 'gauge', `nut_ts_upsd_clients ${host.upsdClients}\n`);
    fam.add('nut_ts_http_event_clients', 'Clients on the live event stream', 'gauge', `nut_ts_http_event_clients ${host.sseClients}\n`);
    if (host.mqttConnected !== undefined) fam.add('nut_ts_mqtt_connected', 'Connected to the MQTT broker (1) or not (0)', 'gauge', `nut_ts_mqtt_connected ${host.mqttConnected ? 1 : 0}\n`);
  }
  return fam.text();
}

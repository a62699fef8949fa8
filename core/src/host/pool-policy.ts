/**
 * How many instances of a plugin share one driver worker (host setting workersPerInstance,
 * instancesPerWorker). Measured defaults for the shipped plugins are in
 * MEASURED_INSTANCES_PER_WORKER (bench/README.md, "instances per worker"); a plugin the host
 * has no measurement for gets a worker per instance under 'auto', because isolation is the
 * safe choice for code nobody measured.
 */
import type { HostSettings } from '../config/host-settings.js';
import type { InstanceSpec } from './worker-protocol.js';

export const MEASURED_INSTANCES_PER_WORKER: Readonly<Record<string, number>> = {
  // 100 devices (bench fleet figure, 2 CPUs): 1 per worker 1480 MB PSS, 12.6 s until all
  // answer, 14.8 % CPU; 10: 225 MB, 2.7 s, 4.7 %; 50: 92 MB, 1.9 s, 2.0 %; 100: 72 MB, 2.0 s,
  // 1.9 %. Its code is ours and only reads files, so a large pool risks little.
  'dummy-ups': 100,
  // measured (bench fleet-snmp figure, bench/README.md "SNMP fleets"; 2 CPUs, snmpsim, 1,000
  // devices, one run each on a loaded machine): 25 per worker 656 MB PSS, 187 s until all
  // answer, 36.6 % CPU; 50: 424 MB, 172 s, 36.4 %; 200: 288 MB, 104 s, 23.5 % (NUT 2.8.0:
  // 1137 MB, 132 s, 12.8 %). Each worker costs ~12 MB; its I/O is async, so a slow agent only
  // makes its own device stale (its 99 worker-mates kept answering, no worker was restarted).
  // The price of a larger pool is a blocked or crashed worker restarting more devices at once.
  'snmp-ups': 200,
  // 20 devices on simulators (node bench/pooled-devices.mjs; load average 10-18 on 2 CPUs, so
  // the start times are rough), PSS with 1 / 5 / 20 per worker: apcsmart 348 / 169 / 115 MB,
  // nutdrv_qx 403 / 147 / 87 MB, usbhid-ups 466 / 146 / 95 MB; until all answer 18 / 7.6 /
  // 7.3 s, 32 / 12 / 3.5 s, 24 / 13 / 10 s. Their device I/O is async and runs in the
  // transport process; test/compat/*-pooled.test.ts run them pooled against NUT 2.8.0's
  // drivers, with one unit unplugged. 20 keeps most of the saving and bounds what a blocked
  // worker takes down with it.
  apcsmart: 20,
  nutdrv_qx: 20,
  'usbhid-ups': 20,
};

/** Cap when a plugin is pooled and neither the settings nor a measurement say otherwise. */
export const DEFAULT_POOLED_CAP = 50;

export function instancesPerWorker(settings: Pick<HostSettings, 'workersPerInstance' | 'instancesPerWorker'>, spec: InstanceSpec): number {
  if (settings.workersPerInstance === 'instance') return 1;
  const given = settings.instancesPerWorker;
  const fromSettings = typeof given === 'number' ? given : given?.[spec.driver] ?? given?.['*'];
  const measured = MEASURED_INSTANCES_PER_WORKER[spec.driver];
  if (settings.workersPerInstance === 'plugin') return fromSettings ?? measured ?? DEFAULT_POOLED_CAP;
  // auto: pooled where measured (or where the settings name a cap), else isolated
  return fromSettings ?? measured ?? 1;
}

export function runsOutOfProcess(settings: Pick<HostSettings, 'outOfProcess'>, spec: InstanceSpec): boolean {
  const list = settings.outOfProcess ?? [];
  return list.includes(spec.driver) || list.includes('*');
}

/** host setting `confined`: the section's driver or its UPS name is listed, or "*". */
export function runsConfined(settings: Pick<HostSettings, 'confined'>, spec: InstanceSpec): boolean {
  const list = settings.confined ?? [];
  return list.includes('*') || list.includes(spec.driver) || list.includes(spec.upsname);
}

/** NUT 2.8.0's own programs (dummy-ups, upsd, upsdrvctl) in a sandbox. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeSandbox, freePort, waitUntil, upsConf, sleep } from './sandbox.mjs';
import { Stack } from './stack.mjs';

export const NUT_BIN = '/lib/nut';
export const UPSD = join(NUT_BIN, 'upsd');
const DUMMY = join(NUT_BIN, 'dummy-ups');
const UPSDRVCTL = '/sbin/upsdrvctl';

export function nutMissing() {
  const missing = [UPSD, DUMMY].filter((p) => !existsSync(p));
  return missing.length ? `NUT 2.8.0 not installed (${missing.join(', ')})` : null;
}

export function upsdrvctlPath() {
  for (const p of [UPSDRVCTL, join(NUT_BIN, 'upsdrvctl'), '/usr/sbin/upsdrvctl']) if (existsSync(p)) return p;
  return null;
}

/** True once every device's driver socket (`dummy-ups-<name>`) exists in the state path. */
export function allDriverSockets(statePath, devices) {
  let have;
  try {
    have = new Set(readdirSync(statePath));
  } catch {
    return false;
  }
  return devices.every((d) => have.has(`dummy-ups-${d.name}`));
}

/**
 * Writes the sandbox for `devices` ([{name, port(file), src(fixture path)}]).
 * upsd.conf listens on a free loopback port.
 */
export async function prepareSandbox(label, devices) {
  const sb = makeSandbox(label);
  const copied = new Set();
  for (const d of devices) {
    if (!copied.has(d.port)) {
      sb.copy(d.src, d.port);
      copied.add(d.port);
    }
  }
  // user = root: drivers started by a host (NUT's upsdrvctl, or ours) keep root in the sandbox.
  sb.write('ups.conf', upsConf(devices, 'user = root\n'));
  const port = await freePort();
  sb.write('upsd.conf', `LISTEN 127.0.0.1 ${port}\n`);
  sb.write('upsd.users', '');
  return { sb, port };
}

/**
 * Drivers spawned all at once in the foreground (-F), then upsd once every driver socket
 * exists: the fastest way NUT can be brought up (upsdrvctl starts drivers one by one).
 */
export async function startNut(devices, { timeoutMs = 120_000 } = {}) {
  const { sb, port } = await prepareSandbox('nut', devices);
  const st = new Stack({ side: 'nut', mode: 'NUT 2.8.0 dummy-ups + upsd', sb, port });
  st.t0 = performance.now();
  try {
    for (const d of devices) st.spawn(DUMMY, ['-a', d.name, '-F', '-u', 'root']);
    await waitUntil(() => allDriverSockets(sb.statePath, devices), {
      timeoutMs,
      intervalMs: 20,
      what: `NUT driver sockets for ${devices.length} devices`,
    });
    st.tSockets = performance.now();
    st.spawn(UPSD, ["-F", "-u", "root"]);
    await waitUntil(() => st.answers(devices[0].name), { timeoutMs, intervalMs: 10, what: 'NUT upsd answer' });
    return st;
  } catch (e) {
    e.message += ` | log: ${st.logTail()}`;
    await st.stop();
    throw e;
  }
}

/**
 * A driver already running (NUT's dummy-ups), then only the server is started: `upsdCmd`
 * (NUT's upsd or ours). Resolves with the stack; stack.t0 is the moment upsd was spawned.
 */
export async function startUpsdOverNutDriver(side, label, devices, upsdCmd, { timeoutMs = 60_000 } = {}) {
  const { sb, port } = await prepareSandbox(`${side}-upsdonly`, devices);
  const st = new Stack({ side, mode: label, sb, port });
  try {
    for (const d of devices) st.spawn(DUMMY, ['-a', d.name, '-F', '-u', 'root']);
    await waitUntil(() => allDriverSockets(sb.statePath, devices), {
      timeoutMs,
      what: 'NUT driver sockets',
    });
    await sleep(200);
    st.t0 = performance.now();
    st.spawn(upsdCmd[0], upsdCmd.slice(1));
    await waitUntil(() => st.answers(devices[0].name, 1000), { timeoutMs, intervalMs: 2, what: `${label} answer` });
    return st;
  } catch (e) {
    e.message += ` | log: ${st.logTail()}`;
    await st.stop();
    throw e;
  }
}

/** The way NUT's users start it: `upsdrvctl start` (drivers fork into the background), then `upsd`. */
export async function startNutClassic(devices, { timeoutMs = 60_000 } = {}) {
  const drvctl = upsdrvctlPath();
  if (!drvctl) throw new Error('upsdrvctl not found');
  const { sb, port } = await prepareSandbox('nutcold', devices);
  const st = new Stack({ side: 'nut', mode: 'NUT 2.8.0 upsdrvctl start + upsd', sb, port });
  st.t0 = performance.now();
  try {
    const ctl = st.spawn(drvctl, ['-u', 'root', 'start']);
    const code = await new Promise((r) => ctl.once('exit', r));
    if (code !== 0) throw new Error(`upsdrvctl start exited ${code}`);
    const upsd = st.spawn(UPSD, ['-u', 'root']);
    await new Promise((r) => upsd.once('exit', r));
    await waitUntil(() => st.answers(devices[0].name, 1000), { timeoutMs, intervalMs: 2, what: 'NUT upsd answer' });
    return st;
  } catch (e) {
    e.message += ` | log: ${st.logTail()}`;
    await st.stop();
    throw e;
  }
}

export { sleep };

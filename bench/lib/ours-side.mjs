/**
 * nut-ts in a sandbox, whichever way it can run today. Candidates, in order:
 *   host        `nut start` (host in the foreground with our upsd; drivers: our dummy-ups plugin
 *               in workers, or, while there is none, NUT's C dummy-ups attached by the host)
 *   host-split  our `upsdrvctl start`, then our `upsd`
 *   upsd-only   NUT's C dummy-ups drivers, served by our upsd through the driver socket
 * The first candidate whose server answers GET VAR is used; each failure is kept as a reason.
 * needPlugin: only our plugin counts (the many-devices figure measures one host process).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, waitUntil } from './sandbox.mjs';
import { prepareSandbox, allDriverSockets, NUT_BIN } from './nut-side.mjs';
import { Stack } from './stack.mjs';
import { exeOf } from './proc.mjs';

const DIST = join(REPO, 'core/dist/cli');
export const cli = (name) => join(DIST, `${name}.js`);
const node = process.execPath;
const PLUGIN = join(REPO, 'plugins/dummy-ups/package.json');

export const MODES = {
  host: 'nut-ts host (`nut start`: host + our upsd in one process)',
  'host-split': 'nut-ts `upsdrvctl start` + `upsd`',
  'upsd-only': 'nut-ts upsd serving NUT C dummy-ups via driver socket',
};

function missingFiles(...files) {
  const m = files.filter((f) => !existsSync(f));
  return m.length ? `missing ${m.map((f) => f.replace(REPO, '')).join(', ')}` : null;
}

const starters = {
  async host(st) {
    st.spawn(node, [cli('nut'), 'start']);
  },
  async 'host-split'(st) {
    const ctl = st.spawn(node, [cli('upsdrvctl'), '-u', 'root', 'start']);
    const code = await new Promise((r) => ctl.once('exit', r));
    if (code !== 0) throw new Error(`upsdrvctl start exited ${code}`);
    st.spawn(node, [cli('upsd'), '-F', '-u', 'root']);
  },
  async 'upsd-only'(st, devices) {
    for (const d of devices) st.spawn(join(NUT_BIN, 'dummy-ups'), ['-a', d.name, '-F', '-u', 'root']);
    await waitUntil(() => allDriverSockets(st.sb.statePath, devices), {
      timeoutMs: 60_000,
      what: 'NUT driver sockets',
    });
    st.spawn(node, [cli('upsd'), '-F', '-u', 'root']);
  },
};

const requirements = {
  host: (needPlugin) => missingFiles(cli('nut'), ...(needPlugin ? [PLUGIN] : [])),
  'host-split': (needPlugin) => missingFiles(cli('upsdrvctl'), cli('upsd'), ...(needPlugin ? [PLUGIN] : [])),
  'upsd-only': () => missingFiles(cli('upsd'), join(NUT_BIN, 'dummy-ups')),
};

/** Starts one mode; resolves with the running Stack once `waitAll` devices answer. */
export async function startOursMode(mode, devices, { timeoutMs = 60_000, waitAll = false, needPlugin = false, settings } = {}) {
  const missing = requirements[mode](needPlugin);
  if (missing) throw new Error(missing);
  const { sb, port } = await prepareSandbox(`ours-${mode}`, devices);
  // host settings (nut-ts.config.json where the host starts: the sandbox)
  if (settings) writeFileSync(join(sb.dir, 'nut-ts.config.json'), JSON.stringify(settings));
  const st = new Stack({ side: 'ours', mode: MODES[mode], sb, port });
  st.modeId = mode;
  st.t0 = performance.now();
  try {
    await starters[mode](st, devices);
    const targets = waitAll ? devices : [devices[0]];
    await waitUntil(async () => (await Promise.all(targets.map((d) => st.answers(d.name)))).every(Boolean), {
      timeoutMs,
      intervalMs: 20,
      what: `${mode}: GET VAR answered`,
    });
    // Our host runs NUT's C driver when it has no dummy-ups plugin: say which one served.
    if (mode !== 'upsd-only') {
      const cDriver = st.pids().some((p) => exeOf(p).endsWith('/dummy-ups'));
      if (cDriver && needPlugin) throw new Error('the host ran NUT\'s C dummy-ups, not our plugin');
      st.mode += cDriver ? ", drivers: NUT's C dummy-ups attached by our host" : ', drivers: our dummy-ups plugin';
    }
    return st;
  } catch (e) {
    const why = /not reached within/.test(e.message) ? `no answer within ${timeoutMs / 1000} s` : e.message;
    const err = new Error(`${mode}: ${why}${st.log.text ? ` | log: ${st.logTail(300)}` : ''}`);
    await st.stop();
    throw err;
  }
}

/**
 * Tries the allowed modes in order; returns { stack } or { reason } naming why each failed.
 * @param {string[]} allowed
 */
const failed = new Map();

export async function startOurs(devices, allowed = ['host', 'host-split', 'upsd-only'], opts = {}) {
  const reasons = [];
  for (const mode of allowed) {
    const key = `${mode}${opts.needPlugin ? '+plugin' : ''}`;
    if (failed.has(key)) {
      reasons.push(failed.get(key));
      continue;
    }
    try {
      return { stack: await startOursMode(mode, devices, opts) };
    } catch (e) {
      // A mode that cannot run (missing file, exits) is not retried in this run; one that was
      // only too slow for this size may still serve smaller ones.
      if (!/no answer within/.test(e.message)) failed.set(key, e.message);
      reasons.push(e.message);
    }
  }
  return { reason: reasons.join('; ') };
}

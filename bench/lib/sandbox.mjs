/** Throw-away NUT configuration/state directories, free ports, waiting helpers. */
import { mkdtempSync, mkdirSync, writeFileSync, copyFileSync, rmSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const FIXTURES = join(REPO, 'test/fixtures');

export function makeSandbox(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `nutbench-${prefix}-`));
  const confPath = join(dir, 'conf');
  const statePath = join(dir, 'state');
  mkdirSync(confPath);
  mkdirSync(statePath);
  chmodSync(statePath, 0o770);
  const env = { ...process.env, NUT_CONFPATH: confPath, NUT_STATEPATH: statePath, NUT_ALTPIDPATH: statePath };
  return {
    dir,
    confPath,
    statePath,
    env,
    write(name, text, mode = 0o640) {
      const p = join(confPath, name);
      writeFileSync(p, text, { mode });
      return p;
    },
    copy(file, as) {
      const p = join(confPath, as ?? basename(file));
      copyFileSync(file, p);
      return p;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(a.port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls fn every intervalMs until it returns a truthy value or timeoutMs passes (then throws). */
export async function waitUntil(fn, { timeoutMs, intervalMs = 20, what = 'condition' }) {
  const deadline = performance.now() + timeoutMs;
  let lastErr;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      lastErr = e;
    }
    if (performance.now() > deadline) {
      throw new Error(`${what}: not reached within ${timeoutMs} ms${lastErr ? ` (last error: ${lastErr.message})` : ''}`);
    }
    await sleep(intervalMs);
  }
}

/** ups.conf text with one dummy-ups section per device. */
export function upsConf(devices, extra = '') {
  return (
    extra +
    devices.map((d) => `[${d.name}]\n\tdriver = dummy-ups\n\tport = ${d.port}\n\tdesc = "bench ${d.name}"\n`).join('')
  );
}

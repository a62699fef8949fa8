import { existsSync } from 'node:fs';

/** Polls probe every 50 ms until it returns something truthy; rejects after timeoutMs. */
export function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      const v = probe();
      if (v) return resolve(v);
      if (Date.now() - t0 > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

/** Calls fn until it resolves (a device that is coming back, a listener not up yet); its last error after timeoutMs. */
export async function retry<T>(fn: () => Promise<T>, timeoutMs = 10_000, intervalMs = 50): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() - t0 > timeoutMs) throw e;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}

/** until() for a probe that has to wait for its answer (a client, a socket); polls every 100 ms. */
export async function untilAsync(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!(await probe())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits for a file (a driver's socket, a pid file) to appear. */
export async function untilFile(path: string, timeoutMs = 30_000): Promise<void> {
  await until(`${path} to appear`, () => existsSync(path), timeoutMs);
}

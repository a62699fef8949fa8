/**
 * Subscriber on a driver socket (NUT's driver-to-upsd Unix socket, `<statepath>/<driver>-<ups>`):
 * sends DUMPALL and timestamps every `SETINFO <var> "<value>"` broadcast for one variable.
 */
import net from 'node:net';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The driver socket of `ups` in statePath, if there is one (any driver name). */
export function findDriverSocket(statePath, ups) {
  let entries = [];
  try {
    entries = readdirSync(statePath);
  } catch {
    return null;
  }
  const hit = entries.find((e) => e.endsWith(`-${ups}`) && !e.endsWith('.pid'));
  return hit && existsSync(join(statePath, hit)) ? join(statePath, hit) : null;
}

/**
 * @returns {Promise<{events: {t:number, value:string}[], close():void}>}
 */
export function watchVar(path, varName, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const s = net.connect(path);
    const events = [];
    let buf = '';
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`driver socket ${path}: no connection within ${timeoutMs} ms`));
    }, timeoutMs);
    s.setEncoding('latin1');
    s.on('data', (d) => {
      const now = performance.now();
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const m = /^SETINFO (\S+) "((?:[^"\\]|\\.)*)"/.exec(line);
        if (m && m[1] === varName) events.push({ t: now, value: m[2].replace(/\\(.)/g, '$1') });
      }
    });
    s.on('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
    s.once('connect', () => {
      clearTimeout(t);
      s.write('DUMPALL\n');
      resolve({ events, close: () => s.destroy() });
    });
  });
}

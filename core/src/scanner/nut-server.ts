/**
 * NUT-server scan (`-O`): connect to upsd on each address, `LIST UPS`, one `nutclient` device
 * per `UPS <name> <desc>` line. As NUT 2.8.0: the port is not kept in the result, a line with
 * fewer than three words ends that host, and connect failures are silent.
 */
import { Socket } from 'node:net';
import { splitLine } from '../client/words.js';
import type { ScanDevice } from './device.js';

/** Reads after the connect wait this long, as libupsclient's. */
const READ_TIMEOUT_MS = 5000;

export async function scanNutServer(ip: string, port: number, connectTimeoutMs: number, signal?: AbortSignal): Promise<ScanDevice[]> {
  const names = await listUps(ip, port, connectTimeoutMs, signal);
  return names.map((name) => ({ type: 'NUT', driver: 'nutclient', port: `${name}@${ip}`, options: [] }));
}

function listUps(host: string, port: number, connectTimeoutMs: number, signal?: AbortSignal): Promise<string[]> {
  return new Promise((resolve) => {
    const sock = new Socket();
    const names: string[] = [];
    let buf = '';
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      sock.destroy();
      resolve(names);
    };
    let timer = setTimeout(finish, connectTimeoutMs);
    signal?.addEventListener('abort', finish);
    sock.on('error', finish);
    sock.on('close', finish);
    sock.connect(port, host, () => {
      clearTimeout(timer);
      timer = setTimeout(finish, READ_TIMEOUT_MS);
      sock.write('LIST UPS\n');
    });
    sock.on('data', (chunk: Buffer) => {
      buf += chunk.toString('latin1');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const { words } = splitLine(buf.slice(0, nl).replace(/\r$/, ''));
        buf = buf.slice(nl + 1);
        if (words[0] === 'BEGIN') continue;
        if (words[0] === 'UPS' && words.length >= 3) {
          names.push(words[1]);
          continue;
        }
        if (words[0] === 'END' && words.length >= 3) sock.write('LOGOUT\n');
        finish();
        return;
      }
    });
  });
}

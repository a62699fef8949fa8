/**
 * Our upsc against NUT 2.8.0's upsd prints what NUT's upsc prints (same arguments, same
 * stdout, stderr and exit code; Debian's NSS notice aside, see clients-harness.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NutClient } from '../../core/src/client/index.js';
import { runBoth, runNut, runOurs, startNutStack, type NutStack } from './clients-harness.js';

let stack: NutStack;
let monitor: NutClient;
let monitor6: NutClient;
let keepAlive: NodeJS.Timeout;

beforeAll(async () => {
  stack = await startNutStack();
  // a logged-in client so that LIST CLIENT has something to show
  monitor = new NutClient({ host: '127.0.0.1', port: stack.port });
  await monitor.connect();
  await monitor.authenticate('mon', 'monpw');
  await monitor.login('dummy');
  monitor6 = new NutClient({ host: '::1', port: stack.port });
  await monitor6.connect();
  await monitor6.authenticate('mon', 'monpw');
  await monitor6.login('ddl');
  // poll like upsmon does, so upsd's 60 s idle drop never ends the logins on a slow machine
  keepAlive = setInterval(() => {
    monitor.getVar('dummy', 'ups.status').catch(() => {});
    monitor6.getVar('ddl', 'ups.status').catch(() => {});
  }, 10_000);
});

afterAll(async () => {
  clearInterval(keepAlive);
  monitor?.close();
  monitor6?.close();
  await stack?.stop();
});

async function same(args: string[]): Promise<void> {
  const { nut, ours } = await runBoth('upsc', args);
  expect(ours).toEqual(nut);
}

describe('upsc vs NUT upsc, against NUT upsd', () => {
  it.each(['dummy', 'ddl', 'epdu', 'fake'])('lists every variable of %s', async (ups) => {
    const { nut, ours } = await runBoth('upsc', [stack.ups(ups)]);
    expect(nut.code).toBe(0);
    expect(nut.stdout.split('\n').length).toBeGreaterThan(5);
    expect(ours).toEqual(nut);
  });

  it('prints one value, unescaped', async () => {
    await same([stack.ups('dummy'), 'ups.status']);
    await same([stack.ups('dummy'), 'ups.mfr']);
    await same([stack.ups('dummy'), 'custom.hash']);
    await same([stack.ups('ddl'), 'battery.charge']);
  });

  it('unknown variable, old-style name, unknown UPS', async () => {
    const { nut } = await runBoth('upsc', [stack.ups('dummy'), 'nosuch.var']);
    expect(nut.stderr).toBe('Error: Variable not supported by UPS\n');
    await same([stack.ups('dummy'), 'nosuch.var']);
    await same([stack.ups('dummy'), 'nodot']);
    await same([`bogus@127.0.0.1:${stack.port}`]);
    await same([`bogus@127.0.0.1:${stack.port}`, 'ups.status']);
    await same([`bogus@127.0.0.1:${stack.port}`, 'server.version']);
    await same([stack.ups('dummy'), 'server.info']);
    await same([stack.ups('dummy'), 'server.nothing']);
  });

  it('-l and -L list the UPSes', async () => {
    await same(['-l', `127.0.0.1:${stack.port}`]);
    await same(['-L', `127.0.0.1:${stack.port}`]);
    await same(['-L', `127.0.0.1:${stack.port}:99999`]);
    await same(['-lL', `127.0.0.1:${stack.port}`]);
  });

  it('-c lists logged-in clients', async () => {
    const { nut } = await runBoth('upsc', ['-c', stack.ups('dummy')]);
    expect(nut.stdout).toBe('127.0.0.1\n');
    await same(['-c', stack.ups('dummy')]);
    await same(['-c', stack.ups('ddl')]);
    await same(['-c', `ddl@[::1]:${stack.port}`]);
    await same(['-c', `bogus@127.0.0.1:${stack.port}`]);
  });

  it('IPv6 literals', async () => {
    const { nut } = await runBoth('upsc', [`dummy@[::1]:${stack.port}`, 'ups.status']);
    expect(nut.stdout).toBe('OL CHRG\n');
    await same([`dummy@[::1]:${stack.port}`, 'ups.status']);
    await same([`ddl@[::1]:${stack.port}`]);
    await same(['-L', `[::1]:${stack.port}`]);
  });

  it('connection errors', async () => {
    await same([`dummy@127.0.0.1:${stack.closedPort}`]);
    await same(['-l', `127.0.0.1:${stack.closedPort}`]);
    await same(['nosuch@nonexistent.invalid']);
    await same(['-L', 'nonexistent.invalid']);
  });

  it('bad arguments', async () => {
    await same([]);
    await same(['dummy@']);
    await same(['@nonexistent.invalid']);
    await same([`dummy@127.0.0.1:0`]);
    await same([`dummy@127.0.0.1:abc`]);
    await same(['-l', '127.0.0.1:70000']);
    await same(['-l', '[::1']);
    await same(['-c']);
    await same(['-h']);
    await same(['-V']);
    await same(['-x', stack.ups('dummy')]);
  });
});

describe('upsc --json (beyond NUT)', () => {
  function parseLines(text: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const line of text.split('\n').filter(Boolean)) {
      const i = line.indexOf(': ');
      out[line.slice(0, i)] = line.slice(i + 2);
    }
    return out;
  }

  it('variables as an object with the values NUT prints', async () => {
    const nut = await runNut('upsc', [stack.ups('ddl')]);
    const ours = await runOurs('upsc', ['--json', stack.ups('ddl')]);
    expect(ours.code).toBe(0);
    expect(JSON.parse(ours.stdout)).toEqual(parseLines(nut.stdout));
  });

  it('one variable, UPS lists and clients', async () => {
    const one = await runOurs('upsc', [stack.ups('dummy'), 'ups.mfr', '--json']);
    expect(JSON.parse(one.stdout)).toEqual({ 'ups.mfr': (await runNut('upsc', [stack.ups('dummy'), 'ups.mfr'])).stdout.trim() });
    const list = await runOurs('upsc', ['--json', '-L', `127.0.0.1:${stack.port}`]);
    const nutList = parseLines((await runNut('upsc', ['-L', `127.0.0.1:${stack.port}`])).stdout);
    expect(JSON.parse(list.stdout)).toEqual(Object.entries(nutList).map(([name, description]) => ({ name, description })));
    const clients = await runOurs('upsc', ['--json', '-c', stack.ups('dummy')]);
    const nutClients = (await runNut('upsc', ['-c', stack.ups('dummy')])).stdout.split('\n').filter(Boolean);
    expect(nutClients.length).toBeGreaterThan(0);
    expect(JSON.parse(clients.stdout)).toEqual(nutClients);
  });

  it('errors stay on stderr with the same exit code', async () => {
    const ours = await runOurs('upsc', ['--json', stack.ups('dummy'), 'nosuch.var']);
    expect(ours).toEqual({ stdout: '', stderr: 'Error: Variable not supported by UPS\n', code: 1 });
  });
});

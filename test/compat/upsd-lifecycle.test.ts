/**
 * The upsd process like NUT's: refusal to start on the config errors NUT refuses, background
 * start that returns once listening, -c reload (new UPSes prepended, removed ones gone, clients
 * kept) and -c stop, DRIVER-NOT-CONNECTED and DATA-STALE with a stopped driver. Each compared
 * with NUT's upsd in the same situation.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Conversation, FIXTURES, OUR_UPSD, exchange, waitReady } from './upsd-harness.js';
import { NUT_UPSD, freePort, makeSandbox, requireOracle, startNutDriver, stopChild, waitForPort, type Sandbox } from '../helpers/oracle.js';
import { RUN_AS_FLAG } from '../helpers/run-user.js';

const DEV = `${FIXTURES}/ddl/APC__Smart-UPS_1000__usbhid-ups__2.4.1__01.dev`;

function nutUpsd(sb: Sandbox, args: string[]): SpawnSyncReturns<string> {
  return spawnSync(NUT_UPSD, [...args, ...RUN_AS_FLAG], { env: sb.env, encoding: 'utf8', timeout: 30_000 });
}
/** Our upsd as a standalone process over NUT's driver sockets (no nut-ts host). */
function ourUpsd(sb: Sandbox, args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [OUR_UPSD, ...args, ...RUN_AS_FLAG], {
    env: { ...sb.env, NUT_TS_UPSD_STANDALONE: '1' },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

/** Two sandboxes with the same config files, each with its own port. */
async function twin(files: (port: number) => Record<string, string>): Promise<{ nut: Sandbox; ours: Sandbox; nutPort: number; ourPort: number }> {
  const nut = makeSandbox('upsd-life-nut-');
  const ours = makeSandbox('upsd-life-ours-');
  const nutPort = await freePort();
  const ourPort = await freePort();
  for (const [sb, port] of [
    [nut, nutPort],
    [ours, ourPort],
  ] as const) {
    for (const [name, text] of Object.entries(files(port))) sb.write(name, text);
  }
  return { nut, ours, nutPort, ourPort };
}

describe('startup refusals, as NUT', () => {
  const cases: Array<[string, (port: number) => Record<string, string>, string]> = [
    ['no ups.conf', (p) => ({ 'upsd.conf': `LISTEN 127.0.0.1 ${p}\n`, 'upsd.users': '' }), 'ups.conf'],
    ['no UPS in ups.conf', (p) => ({ 'upsd.conf': `LISTEN 127.0.0.1 ${p}\n`, 'upsd.users': '', 'ups.conf': 'maxretry = 3\n' }), 'at least one UPS must be defined in ups.conf'],
    ['no upsd.users', (p) => ({ 'upsd.conf': `LISTEN 127.0.0.1 ${p}\n`, 'ups.conf': '[a]\n driver = dummy-ups\n port = a.dev\n' }), 'upsd.users'],
    ['no upsd.conf', () => ({ 'upsd.users': '', 'ups.conf': '[a]\n driver = dummy-ups\n port = a.dev\n' }), 'upsd.conf'],
  ];
  for (const [name, files, mention] of cases) {
    it(`${name}: exit status 1 and a message naming it`, async () => {
      requireOracle();
      const t = await twin(files);
      try {
        const nut = nutUpsd(t.nut, ['-F']);
        const ours = ourUpsd(t.ours, ['-F']);
        expect(nut.status).toBe(1);
        expect(ours.status).toBe(nut.status);
        expect(nut.stderr + nut.stdout).toContain(mention);
        expect(ours.stderr).toContain(mention);
      } finally {
        t.nut.cleanup();
        t.ours.cleanup();
      }
    });
  }

  it('ALLOW_NO_DEVICE: starts with no UPS, LIST UPS is empty', async () => {
    requireOracle();
    const t = await twin((p) => ({ 'upsd.conf': `LISTEN 127.0.0.1 ${p}\nALLOW_NO_DEVICE true\n`, 'upsd.users': '', 'ups.conf': '' }));
    try {
      expect(nutUpsd(t.nut, []).status).toBe(0);
      expect(ourUpsd(t.ours, []).status).toBe(0);
      await waitForPort(t.nutPort);
      await waitForPort(t.ourPort);
      const [nut] = await exchange(t.nutPort, ['LIST UPS']);
      const [ours] = await exchange(t.ourPort, ['LIST UPS']);
      expect(nut).toBe('BEGIN LIST UPS\nEND LIST UPS\n');
      expect(ours).toBe(nut);
    } finally {
      nutUpsd(t.nut, ['-c', 'stop']);
      ourUpsd(t.ours, ['-c', 'stop']);
      await new Promise((r) => setTimeout(r, 500));
      t.nut.cleanup();
      t.ours.cleanup();
    }
  });

  it('LISTEN 0.0.0.0 then LISTEN :: on one port: :: is bound first and dual-stack, 0.0.0.0 is not', async () => {
    requireOracle();
    const t = await twin((p) => ({
      'upsd.conf': `LISTEN 0.0.0.0 ${p}\nLISTEN :: ${p}\n`,
      'upsd.users': '',
      'ups.conf': '[a]\n driver = dummy-ups\n port = a.dev\n',
    }));
    try {
      const nut = nutUpsd(t.nut, []);
      const ours = ourUpsd(t.ours, []);
      expect(nut.status).toBe(0);
      expect(ours.status).toBe(0);
      for (const [r, port] of [
        [nut, t.nutPort],
        [ours, t.ourPort],
      ] as const) {
        const text = r.stderr + r.stdout;
        expect(text).toContain(`listening on :: port ${port}`);
        expect(text).toContain(`not listening on 0.0.0.0 port ${port}`);
        await waitForPort(port, '127.0.0.1');
        await waitForPort(port, '::1');
        const [a] = await exchange(port, ['NETVER']);
        expect(a).toBe('1.3\n');
      }
    } finally {
      nutUpsd(t.nut, ['-c', 'stop']);
      ourUpsd(t.ours, ['-c', 'stop']);
      await new Promise((r) => setTimeout(r, 500));
      t.nut.cleanup();
      t.ours.cleanup();
    }
  });

  it('-h prints the same help; -c stop without a running upsd fails the same way', async () => {
    const t = await twin(() => ({}));
    try {
      const nut = nutUpsd(t.nut, ['-h']);
      const ours = ourUpsd(t.ours, ['-h']);
      expect(ours.status).toBe(nut.status);
      expect(ours.stdout).toBe(nut.stdout);
      const nutStop = nutUpsd(t.nut, ['-c', 'stop']);
      const ourStop = ourUpsd(t.ours, ['-c', 'stop']);
      expect(ourStop.status).toBe(nutStop.status);
      expect(ourStop.stderr.replaceAll(t.ours.statePath, 'STATE')).toContain(`${t.nut.statePath}/upsd.pid`.replace(t.nut.statePath, 'STATE'));
    } finally {
      t.nut.cleanup();
      t.ours.cleanup();
    }
  });
});

describe('running upsd, as NUT', () => {
  it('background start, reload (new sections first, removed gone, clients kept), stale and unconnected drivers, stop', async () => {
    requireOracle();
    const sb = makeSandbox('upsd-life-');
    sb.copy(DEV, 'a.dev');
    const nutPort = await freePort();
    const ourPort = await freePort();
    // one ups.conf, one set of drivers; two config dirs that differ only in LISTEN and pid path
    const ours = makeSandbox('upsd-life-ours-');
    const upsConf1 = '[alpha]\n driver = dummy-ups\n port = a.dev\n desc = "first"\n[gone]\n driver = dummy-ups\n port = a.dev\n';
    const upsConf2 = '[alpha]\n driver = dummy-ups\n port = a.dev\n desc = "changed"\n[beta]\n driver = dummy-ups\n port = a.dev\n[gamma]\n driver = dummy-ups\n port = a.dev\n[nodriver]\n driver = dummy-ups\n port = a.dev\n';
    sb.write('ups.conf', upsConf1);
    ours.write('ups.conf', upsConf1);
    sb.write('upsd.conf', `LISTEN 127.0.0.1 ${nutPort}\nMAXAGE 6\n`);
    ours.write('upsd.conf', `LISTEN 127.0.0.1 ${ourPort}\nMAXAGE 6\nSTATEPATH ${sb.statePath}\n`);
    sb.write('upsd.users', '[mon]\n password = pw\n upsmon secondary\n');
    ours.write('upsd.users', '[mon]\n password = pw\n upsmon secondary\n');
    const drivers = ['alpha', 'gone'].map((n) => startNutDriver(sb, 'dummy-ups', n));
    try {
      // background start: returns once listening, writes the PID file
      expect(nutUpsd(sb, []).status).toBe(0);
      const started = ourUpsd(ours, []);
      expect(started.status).toBe(0);
      expect(existsSync(join(ours.statePath, 'upsd.pid'))).toBe(true);
      await waitForPort(ourPort, '127.0.0.1', 1000);
      await waitForPort(nutPort);
      await waitReady([nutPort, ourPort], ['alpha', 'gone']);

      const watchers = await Promise.all([Conversation.open(nutPort), Conversation.open(ourPort)]);
      const onGone = await Promise.all([Conversation.open(nutPort), Conversation.open(ourPort)]);
      for (const c of onGone) {
        await c.ask('USERNAME mon');
        await c.ask('PASSWORD pw');
        expect(await c.ask('LOGIN gone')).toBe('OK\n');
      }

      sb.write('ups.conf', upsConf2);
      ours.write('ups.conf', upsConf2);
      // drivers read ups.conf when they start: the new sections' drivers come up now
      drivers.push(...['beta', 'gamma'].map((n) => startNutDriver(sb, 'dummy-ups', n)));
      expect(nutUpsd(sb, ['-c', 'reload']).status).toBe(0);
      expect(ourUpsd(ours, ['-c', 'reload']).status).toBe(0);
      await waitReady([nutPort, ourPort], ['alpha', 'beta', 'gamma']);

      const ask = ['LIST UPS', 'GET UPSDESC alpha', 'GET VAR gone ups.status', 'GET VAR nodriver ups.status', 'LIST VAR nodriver', 'GET UPSDESC nodriver'];
      const answers: string[][] = [];
      for (const w of watchers) {
        const a: string[] = [];
        for (const q of ask) a.push(await w.ask(q));
        answers.push(a);
      }
      expect(answers[0][0]).toBe(
        'BEGIN LIST UPS\nUPS beta "Description unavailable"\nUPS gamma "Description unavailable"\nUPS nodriver "Description unavailable"\nUPS alpha "changed"\nEND LIST UPS\n',
      );
      expect(answers[0][3]).toBe('ERR DRIVER-NOT-CONNECTED\n');
      expect(answers[1]).toEqual(answers[0]);
      // clients logged into a removed UPS are disconnected by both
      for (const c of onGone) await c.waitClosed();
      expect(watchers.map((w) => w.closed)).toEqual([false, false]);

      // a driver that stops talking goes stale after MAXAGE, on both
      const beta = drivers[2];
      beta.kill('SIGSTOP');
      const stale = async (port: number) => {
        for (let i = 0; i < 150; i++) {
          const [a] = await exchange(port, ['GET VAR beta ups.status']);
          if (a === 'ERR DATA-STALE\n') return a;
          await new Promise((r) => setTimeout(r, 200));
        }
        return 'never stale';
      };
      const [nutStale, ourStale] = await Promise.all([stale(nutPort), stale(ourPort)]);
      expect(nutStale).toBe('ERR DATA-STALE\n');
      expect(ourStale).toBe(nutStale);
      beta.kill('SIGCONT');
      await waitReady([nutPort, ourPort], ['beta']);

      // a driver that dies: DRIVER-NOT-CONNECTED on both; restarted, both reattach
      const gamma = drivers[3];
      await stopChild(gamma);
      const gone = async (port: number) => {
        for (let i = 0; i < 100; i++) {
          const [a] = await exchange(port, ['GET VAR gamma ups.status']);
          if (a === 'ERR DRIVER-NOT-CONNECTED\n') return a;
          await new Promise((r) => setTimeout(r, 200));
        }
        return 'still connected';
      };
      expect(await gone(nutPort)).toBe('ERR DRIVER-NOT-CONNECTED\n');
      expect(await gone(ourPort)).toBe('ERR DRIVER-NOT-CONNECTED\n');
      drivers.push(startNutDriver(sb, 'dummy-ups', 'gamma'));
      await waitReady([nutPort, ourPort], ['gamma']);
      const [n1] = await exchange(nutPort, ['LIST VAR gamma']);
      const [o1] = await exchange(ourPort, ['LIST VAR gamma']);
      expect(o1).toBe(n1);
      for (const w of watchers) w.close();

      expect(nutUpsd(sb, ['-c', 'stop']).status).toBe(0);
      expect(ourUpsd(ours, ['-c', 'stop']).status).toBe(0);
      for (let i = 0; i < 100 && existsSync(join(ours.statePath, 'upsd.pid')); i++) await new Promise((r) => setTimeout(r, 100));
      expect(existsSync(join(ours.statePath, 'upsd.pid'))).toBe(false);
    } finally {
      for (const s of [sb, ours]) {
        const pidFile = join(s.statePath, 'upsd.pid');
        if (existsSync(pidFile)) {
          try {
            process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGTERM');
            unlinkSync(pidFile);
          } catch {
            // already gone
          }
        }
      }
      for (const d of drivers) {
        d.kill('SIGCONT');
        await stopChild(d);
      }
      sb.cleanup();
      ours.cleanup();
    }
  }, 180_000);
});

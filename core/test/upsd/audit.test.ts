/**
 * The audit trail (NUT 2.8.0 upsd's texts; compat/upsd-audit compares them with NUT's own
 * stderr), failed logins, the failed-login throttle per address, and rate-limited parse errors.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LogRateLimit } from '../../src/upsd/audit.js';
import { parseUpsdUsers } from '../../src/upsd/config.js';
import { LoginThrottle } from '../../src/upsd/login-throttle.js';
import { sampleDevice, startServer, TestClient } from './helpers.js';
import { until } from '../../../test/helpers/wait.js';

// admin may do everything, LOGIN included (upsmon primary grants LOGIN, FSD, PRIMARY)
const users = parseUpsdUsers({
  path: 'upsd.users',
  text: '[admin]\n password = secret\n actions = SET\n instcmds = ALL\n upsmon primary\n[reader]\n password = r\n',
}).users;

let ctx: Awaited<ReturnType<typeof startServer>> | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await ctx?.close();
  ctx = undefined;
});

/** Sends `text` from `localAddress`; resolves with the first `lines` answer lines. */
function converse(port: number, localAddress: string, text: string, lines: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', localAddress });
    sockets.push(s);
    let buf = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      buf += d;
      const got = buf.split('\n');
      if (got.length > lines) {
        s.destroy();
        resolve(got.slice(0, lines));
      }
    });
    s.on('error', reject);
    s.on('connect', () => s.write(text));
  });
}

describe('audit trail', () => {
  it('logs LOGIN, SET and INSTCMD with tracking ids, FSD and LOGOUT in NUT 2.8.0 upsd words', async () => {
    const logs: string[] = [];
    ctx = await startServer([sampleDevice('Dummy')], { users, log: (level, m) => logs.push(`${level} ${m}`) });
    const c = await TestClient.open(ctx.port);
    expect(await c.ask('USERNAME admin')).toBe('OK\n');
    expect(await c.ask('PASSWORD secret')).toBe('OK\n');
    expect(await c.ask('LOGIN dummy')).toBe('OK\n');
    expect(await c.ask('SET VAR dummy input.transfer.low 103')).toBe('OK\n');
    expect(await c.ask('SET TRACKING ON')).toBe('OK\n');
    const set = await c.ask('SET VAR dummy ups.delay.shutdown 30');
    const setId = /^OK TRACKING (\S+)\n$/.exec(set)![1];
    const cmd = await c.ask('INSTCMD dummy load.off');
    const cmdId = /^OK TRACKING (\S+)\n$/.exec(cmd)![1];
    expect(await c.ask('INSTCMD dummy test.b 5')).toMatch(/^OK TRACKING /);
    expect(await c.ask('FSD dummy')).toBe('OK FSD-SET\n');
    expect(await c.ask('LOGOUT')).toBe('OK Goodbye\n');
    const addr = '127.0.0.1';
    const info = logs.filter((l) => l.startsWith('info '));
    expect(info.slice(0, 5)).toEqual([
      `info User admin@${addr} logged into UPS [Dummy]`,
      `info Set variable: admin@${addr} set input.transfer.low on Dummy to 103 (tracking ID: disabled)`,
      `info Set variable: admin@${addr} set ups.delay.shutdown on Dummy to 30 (tracking ID: ${setId})`,
      `info Instant command: admin@${addr} did load.off on Dummy (tracking ID: ${cmdId})`,
      expect.stringMatching(new RegExp(`^info Instant command: admin@${addr} did test.b with value 5 on Dummy \\(tracking ID: \\S+\\)$`)),
    ]);
    expect(info.slice(5)).toEqual([`info Client admin@${addr} set FSD on UPS [Dummy]`, `info User admin@${addr} logged out from UPS [Dummy]`]);
    c.close();
  });

  it('logs failed logins and wrong passwords on other commands, not a lack of rights', async () => {
    const logs: string[] = [];
    ctx = await startServer([sampleDevice()], { users, log: (level, m) => logs.push(`${level} ${m}`), loginThrottle: { baseDelayMs: 0, maxDelayMs: 0, forgetAfterMs: 60_000 } });
    expect(await converse(ctx.port, '127.0.0.1', 'USERNAME admin\nPASSWORD guess\nLOGIN dummy\nFSD dummy\n', 4)).toEqual([
      'OK',
      'OK',
      'ERR ACCESS-DENIED',
      'ERR ACCESS-DENIED',
    ]);
    // reader's password is right but reader may not SET: denied, and not a failed login
    expect(await converse(ctx.port, '127.0.0.1', 'USERNAME reader\nPASSWORD r\nSET VAR dummy ups.id y\n', 3)).toEqual(['OK', 'OK', 'ERR ACCESS-DENIED']);
    expect(await converse(ctx.port, '127.0.0.1', 'USERNAME nobody\nPASSWORD x\nINSTCMD dummy load.off\n', 3)).toEqual(['OK', 'OK', 'ERR ACCESS-DENIED']);
    expect(logs.filter((l) => l.startsWith('notice '))).toEqual([
      'notice User admin@127.0.0.1 failed to log into UPS [dummy]: wrong username or password',
      'notice User admin@127.0.0.1 failed FSD on UPS [dummy]: wrong username or password',
      'notice User nobody@127.0.0.1 failed INSTCMD on UPS [dummy]: wrong username or password',
    ]);
  });
});

describe('failed-login throttle', () => {
  it('doubles the delay per failure up to the cap, per address, and forgets an address in time', () => {
    let now = 0;
    const t = new LoginThrottle({ baseDelayMs: 100, maxDelayMs: 1_000, forgetAfterMs: 60_000 }, () => now);
    expect(t.delayFor('a')).toBe(0);
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      t.fail('a', 'admin', `guess${i}`);
      delays.push(t.delayFor('a'));
    }
    expect(delays).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    // the same wrong password again is a retry, not a new guess
    t.fail('c', 'mon', 'stale');
    t.fail('c', 'mon', 'stale');
    expect(t.failures('c')).toBe(1);
    expect(t.delayFor('b')).toBe(0);
    now += 60_001;
    expect(t.delayFor('a')).toBe(0);
  });

  it('slows 1,000 wrong passwords from 127.0.0.2 while 127.0.0.3 logs in at once', async () => {
    const cap = 400;
    ctx = await startServer([sampleDevice()], { users, loginThrottle: { baseDelayMs: 1, maxDelayMs: cap, forgetAfterMs: 600_000 } });
    const port = ctx.port;
    const guess = (i: number) => converse(port, '127.0.0.2', `USERNAME admin\nPASSWORD guess${i}\nLOGIN dummy\n`, 3);
    const answers: string[][] = [];
    const batch = 100;
    // The first hundred: the throttle reaches its cap for 127.0.0.2.
    answers.push(...(await Promise.all(Array.from({ length: batch }, (_, i) => guess(i)))));
    expect(ctx.server.loginThrottle.failures('127.0.0.2')).toBe(batch);
    expect(ctx.server.loginThrottle.delayFor('127.0.0.2')).toBe(cap);
    for (let b = 1; b < 1_000 / batch; b++) {
      let arrived = 0;
      const pending = Array.from({ length: batch }, (_, i) => guess(b * batch + i).then((a) => (arrived++, a)));
      // Both addresses ask at the same moment: the other address is answered before any guess.
      await until('the batch of guesses was checked', () => ctx!.server.loginThrottle.failures('127.0.0.2') === (b + 1) * batch, 10_000);
      if (b === 1 || b === 9) {
        const other = await converse(port, '127.0.0.3', 'USERNAME admin\nPASSWORD secret\nLOGIN dummy\n', 3);
        expect(other).toEqual(['OK', 'OK', 'OK']);
        expect(arrived).toBe(0);
      }
      answers.push(...(await Promise.all(pending)));
    }
    expect(answers).toHaveLength(1_000);
    expect(answers.every((a) => a.join(' ') === 'OK OK ERR ACCESS-DENIED')).toBe(true);
    expect(ctx.server.loginThrottle.failures('127.0.0.3')).toBe(0);
    // The right password from the throttled address still works (NUT's answer, only later).
    let right = false;
    const late = converse(port, '127.0.0.2', 'USERNAME admin\nPASSWORD secret\nLOGIN dummy\n', 3).then((a) => ((right = true), a));
    const quick = await converse(port, '127.0.0.3', 'USERNAME admin\nPASSWORD secret\nLOGIN dummy\n', 3);
    expect(quick).toEqual(['OK', 'OK', 'OK']);
    expect(right).toBe(false);
    expect(await late).toEqual(['OK', 'OK', 'OK']);
  }, 60_000);

  it('answers what a client pipelined after a held answer, in order', async () => {
    ctx = await startServer([sampleDevice()], { users, loginThrottle: { baseDelayMs: 50, maxDelayMs: 50, forgetAfterMs: 60_000 } });
    expect(await converse(ctx.port, '127.0.0.4', 'USERNAME admin\nPASSWORD bad\nLOGIN dummy\nVER\nLOGIN dummy\nNETVER\n', 6)).toEqual([
      'OK',
      'OK',
      'ERR ACCESS-DENIED',
      expect.stringMatching(/^Network UPS Tools upsd /),
      'ERR ACCESS-DENIED',
      '1.3',
    ]);
  });
});

describe('parse errors in the log', () => {
  it('lets ten through per minute, then reports how many it dropped', () => {
    let now = 0;
    const limit = new LogRateLimit(10, 60_000, () => now);
    const out = Array.from({ length: 1_000 }, () => limit.admit('Parse error on sock: x')).filter(Boolean);
    expect(out).toHaveLength(10);
    now += 60_000;
    expect(limit.admit('Parse error on sock: y')).toBe('Parse error on sock: y (990 similar messages suppressed)');
  });

  it('a flood of malformed lines logs at most ten parse errors', async () => {
    const logs: string[] = [];
    ctx = await startServer([sampleDevice()], { log: (level, m) => logs.push(`${level} ${m}`) });
    const c = await TestClient.open(ctx.port);
    // a parse error drops the rest of its 512-byte read: one error per block
    const block = `"#${' '.repeat(509)}\n`;
    c.send(block.repeat(200));
    c.send('VER\n');
    await c.waitFor(() => c.buffer.includes('Network UPS Tools'));
    c.close();
    expect(logs.filter((l) => l.includes('Parse error')).length).toBe(10);
  });
});

/**
 * Every protocol 1.3 command over real loopback TCP, with the answers and check orders of
 * reference/net-protocol.md (verified against NUT 2.8.0 there).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDevice, TestClient, sampleDevice, startServer } from './helpers.js';

let ctx: Awaited<ReturnType<typeof startServer>>;
let dev: FakeDevice;
let c: TestClient;

beforeEach(async () => {
  dev = sampleDevice('dummy');
  const other = new FakeDevice('nodesc');
  other.tree.setInfo('ups.status', 'OB');
  ctx = await startServer([dev, other]);
  c = await TestClient.open(ctx.port);
});

afterEach(async () => {
  c.close();
  await ctx.close();
});

async function login(user: string, pass: string): Promise<void> {
  expect(await c.ask(`USERNAME ${user}`)).toBe('OK\n');
  expect(await c.ask(`PASSWORD ${pass}`)).toBe('OK\n');
}

describe('misc commands', () => {
  it('VER, NETVER, PROTVER, HELP', async () => {
    expect(await c.ask('VER')).toBe('Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/\n');
    expect(await c.ask('NETVER')).toBe('1.3\n');
    expect(await c.ask('PROTVER')).toBe('1.3\n');
    expect(await c.ask('HELP')).toBe('Commands: HELP VER GET LIST SET INSTCMD LOGIN LOGOUT USERNAME PASSWORD STARTTLS\n');
  });
  it('argument counts and unknown commands', async () => {
    expect(await c.ask('VER x')).toBe('ERR INVALID-ARGUMENT\n');
    expect(await c.ask('NETVER x')).toBe('ERR INVALID-ARGUMENT\n');
    expect(await c.ask('HELP me')).toBe('ERR INVALID-ARGUMENT\n');
    expect(await c.ask('LOGOUT now')).toBe('ERR INVALID-ARGUMENT\n');
    expect(await c.ask('FOO')).toBe('ERR UNKNOWN-COMMAND\n');
    expect(await c.ask('')).toBe('ERR UNKNOWN-COMMAND\n');
    expect(await c.ask('# just a comment')).toBe('ERR UNKNOWN-COMMAND\n');
  });
  it('matches command words case-insensitively and echoes names as sent', async () => {
    expect(await c.ask('ver')).toMatch(/^Network UPS Tools upsd/);
    expect(await c.ask('get var DUMMY UPS.STATUS')).toBe('VAR DUMMY UPS.STATUS "OL CHRG"\n');
  });
  it('USERNAME / PASSWORD are accepted once each, never verified there', async () => {
    expect(await c.ask('USERNAME')).toBe('ERR INVALID-ARGUMENT\n');
    expect(await c.ask('USERNAME nobody')).toBe('OK\n');
    expect(await c.ask('USERNAME again')).toBe('ERR ALREADY-SET-USERNAME\n');
    expect(await c.ask('PASSWORD a b')).toBe('ERR INVALID-ARGUMENT\n');
    expect(await c.ask('PASSWORD wrong')).toBe('OK\n');
    expect(await c.ask('PASSWORD again')).toBe('ERR ALREADY-SET-PASSWORD\n');
  });
  it('LOGOUT says goodbye and closes', async () => {
    expect(await c.ask('LOGOUT')).toBe('OK Goodbye\n');
    await c.waitFor(() => c.closed);
  });
  it('after LOGOUT the rest of that read is still answered, later input is not (as NUT)', async () => {
    c.send('LOGOUT\nNETVER\nLOGOUT\n');
    await c.waitFor(() => c.closed);
    expect(c.buffer).toBe('OK Goodbye\n1.3\nOK Goodbye\n');
  });
  it('STARTTLS without a certificate: FEATURE-NOT-CONFIGURED, session goes on in clear', async () => {
    expect(await c.ask('STARTTLS')).toBe('ERR FEATURE-NOT-CONFIGURED\n');
    expect(await c.ask('STARTTLS extra args')).toBe('ERR FEATURE-NOT-CONFIGURED\n');
    expect(await c.ask('NETVER')).toBe('1.3\n');
  });
});

describe('GET', () => {
  it('argument check order', async () => {
    expect(await c.ask('GET')).toBe('ERR INVALID-ARGUMENT\n');
    expect(await c.ask('GET TRACKING')).toBe('OFF\n');
    expect(await c.ask('GET VAR')).toBe('ERR INVALID-ARGUMENT\n');
    expect(await c.ask('GET NUMLOGINS')).toBe('ERR INVALID-ARGUMENT\n');
    expect(await c.ask('GET VAR dummy')).toBe('ERR INVALID-ARGUMENT\n');
    expect(await c.ask('GET FOO dummy')).toBe('ERR INVALID-ARGUMENT\n');
    expect(await c.ask('GET FOO dummy x')).toBe('ERR INVALID-ARGUMENT\n');
    expect(await c.ask('GET VAR dummy ups.status extra')).toBe('VAR dummy ups.status "OL CHRG"\n');
  });
  it('GET VAR: values escaped, UNKNOWN-UPS → DRIVER-NOT-CONNECTED → DATA-STALE → VAR-NOT-SUPPORTED', async () => {
    expect(await c.ask('GET VAR dummy ups.mfr')).toBe('VAR dummy ups.mfr "ACME \\"Quoted\\" Inc"\n');
    expect(await c.ask('GET VAR dummy custom.hash')).toBe('VAR dummy custom.hash "a\\#b"\n');
    expect(await c.ask('GET VAR nope ups.status')).toBe('ERR UNKNOWN-UPS\n');
    expect(await c.ask('GET VAR dummy nope')).toBe('ERR VAR-NOT-SUPPORTED\n');
    dev.tree.setStale(true);
    expect(await c.ask('GET VAR dummy nope')).toBe('ERR DATA-STALE\n');
    dev.connected = false;
    expect(await c.ask('GET VAR dummy nope')).toBe('ERR DRIVER-NOT-CONNECTED\n');
    expect(await c.ask('GET VAR nope nope')).toBe('ERR UNKNOWN-UPS\n');
  });
  it('server.* variables never check the UPS', async () => {
    expect(await c.ask('GET VAR nonexist server.version')).toBe('VAR nonexist server.version "2.8.0"\n');
    expect(await c.ask('GET VAR x SERVER.INFO')).toBe(
      'VAR x server.info "Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/"\n',
    );
    expect(await c.ask('GET VAR dummy server.other')).toBe('ERR VAR-NOT-SUPPORTED\n');
    dev.connected = false;
    expect(await c.ask('GET VAR dummy server.version')).toBe('VAR dummy server.version "2.8.0"\n');
  });
  it('GET TYPE word list', async () => {
    expect(await c.ask('GET TYPE dummy ups.mfr')).toBe('TYPE dummy ups.mfr RW STRING:32\n');
    expect(await c.ask('GET TYPE dummy driver.name')).toBe('TYPE dummy driver.name NUMBER\n');
    expect(await c.ask('GET TYPE dummy battery.charge')).toBe('TYPE dummy battery.charge RW NUMBER\n');
    expect(await c.ask('GET TYPE dummy input.transfer.low')).toBe('TYPE dummy input.transfer.low RW ENUM NUMBER\n');
    expect(await c.ask('GET TYPE dummy ups.delay.shutdown')).toBe('TYPE dummy ups.delay.shutdown RW RANGE NUMBER\n');
    expect(await c.ask('GET TYPE dummy output.voltage')).toBe('TYPE dummy output.voltage RW ENUM RANGE NUMBER\n');
    expect(await c.ask('GET TYPE dummy ups.id')).toBe('TYPE dummy ups.id RW STRING:0\n');
    expect(await c.ask('GET TYPE dummy nope')).toBe('ERR VAR-NOT-SUPPORTED\n');
    expect(await c.ask('GET TYPE nope x')).toBe('ERR UNKNOWN-UPS\n');
  });
  it('GET UPSDESC: no availability check, "Unavailable" without desc', async () => {
    dev.connected = false;
    expect(await c.ask('GET UPSDESC dummy')).toBe('UPSDESC dummy "Test \\"dummy\\" device"\n');
    expect(await c.ask('GET UPSDESC NODESC')).toBe('UPSDESC NODESC "Unavailable"\n');
    expect(await c.ask('GET UPSDESC nope')).toBe('ERR UNKNOWN-UPS\n');
  });
  it('GET DESC / CMDDESC: availability checked, fallback text', async () => {
    expect(await c.ask('GET DESC dummy whatever.var')).toBe('DESC dummy whatever.var "Description unavailable"\n');
    expect(await c.ask('GET CMDDESC dummy whatever.cmd')).toBe('CMDDESC dummy whatever.cmd "Description unavailable"\n');
    expect(await c.ask('GET DESC nope x')).toBe('ERR UNKNOWN-UPS\n');
    dev.tree.setStale(true);
    expect(await c.ask('GET CMDDESC dummy x')).toBe('ERR DATA-STALE\n');
  });
  it('GET NUMLOGINS counts LOGINs and drops them when connections close', async () => {
    expect(await c.ask('GET NUMLOGINS dummy')).toBe('NUMLOGINS dummy 0\n');
    const other = await TestClient.open(ctx.port);
    await other.ask('USERNAME monsecondary');
    await other.ask('PASSWORD s');
    expect(await other.ask('LOGIN dummy')).toBe('OK\n');
    expect(await c.ask('GET NUMLOGINS DUMMY')).toBe('NUMLOGINS DUMMY 1\n');
    other.close();
    await other.waitFor(() => other.closed);
    for (let i = 0; i < 100 && (await c.ask('GET NUMLOGINS dummy')) !== 'NUMLOGINS dummy 0\n'; i++);
    expect(await c.ask('GET NUMLOGINS dummy')).toBe('NUMLOGINS dummy 0\n');
    dev.connected = false;
    expect(await c.ask('GET NUMLOGINS dummy')).toBe('ERR DRIVER-NOT-CONNECTED\n');
  });
});

describe('LIST', () => {
  it('argument check order', async () => {
    expect(await c.ask('LIST')).toBe('ERR INVALID-ARGUMENT\n');
    expect(await c.ask('LIST VAR')).toBe('ERR INVALID-ARGUMENT\n');
    expect(await c.ask('LIST ENUM dummy')).toBe('ERR INVALID-ARGUMENT\n');
    expect(await c.ask('LIST FOO dummy x')).toBe('ERR INVALID-ARGUMENT\n');
    expect(await c.ask('LIST VAR nope')).toBe('ERR UNKNOWN-UPS\n');
  });
  it('LIST UPS in directory order with descriptions', async () => {
    expect(await c.ask('LIST UPS')).toBe(
      'BEGIN LIST UPS\nUPS dummy "Test \\"dummy\\" device"\nUPS nodesc "Description unavailable"\nEND LIST UPS\n',
    );
  });
  it('LIST VAR sorted case-insensitively, echoing the UPS name as sent', async () => {
    const a = await c.ask('list var DUMMY');
    const lines = a.split('\n');
    expect(lines[0]).toBe('BEGIN LIST VAR DUMMY');
    expect(lines.slice(1, 6)).toEqual([
      'VAR DUMMY Alpha.var "A"',
      'VAR DUMMY battery.charge "100"',
      'VAR DUMMY beta.var "b"',
      'VAR DUMMY custom.hash "a\\#b"',
      'VAR DUMMY driver.name "dummy-ups"',
    ]);
    expect(lines.at(-2)).toBe('END LIST VAR DUMMY');
    expect(lines.at(-3)).toBe('VAR DUMMY zeta.var "z"');
  });
  it('LIST RW: RW variables only; LIST CMD sorted', async () => {
    expect(await c.ask('LIST RW dummy')).toBe(
      [
        'BEGIN LIST RW dummy',
        'RW dummy battery.charge "100"',
        'RW dummy input.transfer.low "100"',
        'RW dummy output.voltage "230"',
        'RW dummy ups.delay.shutdown "20"',
        'RW dummy ups.id "x"',
        'RW dummy ups.mfr "ACME \\"Quoted\\" Inc"',
        'END LIST RW dummy',
        '',
      ].join('\n'),
    );
    expect(await c.ask('LIST CMD dummy')).toBe(
      'BEGIN LIST CMD dummy\nCMD dummy beeper.enable\nCMD dummy load.off\nCMD dummy Test.A\nCMD dummy test.b\nEND LIST CMD dummy\n',
    );
  });
  it('LIST ENUM / RANGE in insertion order; empty lists still framed', async () => {
    expect(await c.ask('LIST ENUM dummy input.transfer.low')).toBe(
      'BEGIN LIST ENUM dummy input.transfer.low\nENUM dummy input.transfer.low "100"\nENUM dummy input.transfer.low "103"\nENUM dummy input.transfer.low "97"\nEND LIST ENUM dummy input.transfer.low\n',
    );
    expect(await c.ask('LIST RANGE dummy ups.delay.shutdown')).toBe(
      'BEGIN LIST RANGE dummy ups.delay.shutdown\nRANGE dummy ups.delay.shutdown "0" "60"\nRANGE dummy ups.delay.shutdown "120" "180"\nEND LIST RANGE dummy ups.delay.shutdown\n',
    );
    expect(await c.ask('LIST ENUM dummy ups.mfr')).toBe('BEGIN LIST ENUM dummy ups.mfr\nEND LIST ENUM dummy ups.mfr\n');
    expect(await c.ask('LIST RANGE dummy nope')).toBe('ERR VAR-NOT-SUPPORTED\n');
    expect(await c.ask('LIST CMD nodesc')).toBe('BEGIN LIST CMD nodesc\nEND LIST CMD nodesc\n');
  });
  it('availability gates VAR/RW/CMD/ENUM/RANGE but not UPS or CLIENT', async () => {
    dev.connected = false;
    for (const q of ['LIST VAR dummy', 'LIST RW dummy', 'LIST CMD dummy', 'LIST ENUM dummy x', 'LIST RANGE dummy x']) {
      expect(await c.ask(q)).toBe('ERR DRIVER-NOT-CONNECTED\n');
    }
    expect(await c.ask('LIST CLIENT dummy')).toBe('BEGIN LIST CLIENT dummy\nEND LIST CLIENT dummy\n');
    expect(await c.ask('LIST CLIENT nope')).toBe('ERR UNKNOWN-UPS\n');
  });
  it('LIST CLIENT: logged-in connections, newest first, configured UPS name', async () => {
    const a = await TestClient.open(ctx.port);
    const b = await TestClient.open(ctx.port);
    for (const x of [a, b]) {
      await x.ask('USERNAME monprimary');
      await x.ask('PASSWORD p');
      expect(await x.ask('LOGIN DUMMY')).toBe('OK\n');
    }
    expect(await c.ask('LIST CLIENT Dummy')).toBe('BEGIN LIST CLIENT Dummy\nCLIENT dummy 127.0.0.1\nCLIENT dummy 127.0.0.1\nEND LIST CLIENT Dummy\n');
    a.close();
    b.close();
  });
  it('a repeated LIST VAR is served from the cached answer (no rebuild per request)', () => {
    const l = ctx.server.context.listings(dev);
    const first = l.listVar('dummy', false);
    expect(l.listVar('dummy', false)).toBe(first);
    expect(l.listVar('DUMMY', false)).not.toBe(first);
    dev.tree.setInfo('zeta.var', 'new');
    expect(l.listVar('DUMMY', false)).toContain('VAR DUMMY zeta.var "new"');
  });

  it('listing reflects tree changes (cache invalidation)', async () => {
    await c.ask('LIST VAR dummy');
    dev.tree.setInfo('zeta.var', 'changed');
    expect(await c.ask('LIST VAR dummy')).toContain('VAR dummy zeta.var "changed"\n');
    dev.tree.setInfo('aaa.new', '1');
    expect((await c.ask('LIST VAR dummy')).split('\n')[1]).toBe('VAR dummy aaa.new "1"');
    dev.tree.clear();
    dev.tree.setStale(false);
    expect(await c.ask('LIST VAR dummy')).toBe('BEGIN LIST VAR dummy\nEND LIST VAR dummy\n');
    dev.tree.addCmd('x.y');
    expect(await c.ask('LIST CMD dummy')).toBe('BEGIN LIST CMD dummy\nCMD dummy x.y\nEND LIST CMD dummy\n');
  });
});

describe('SET', () => {
  it('needs USERNAME then PASSWORD before anything else', async () => {
    expect(await c.ask('SET')).toBe('ERR USERNAME-REQUIRED\n');
    await c.ask('USERNAME admin');
    expect(await c.ask('SET VAR dummy ups.mfr x')).toBe('ERR PASSWORD-REQUIRED\n');
    await c.ask('PASSWORD secret');
    expect(await c.ask('SET')).toBe('ERR INVALID-ARGUMENT\n');
    expect(await c.ask('SET VAR')).toBe('ERR INVALID-ARGUMENT\n');
    expect(await c.ask('SET VAR dummy ups.mfr')).toBe('ERR INVALID-ARGUMENT\n');
    expect(await c.ask('SET FOO bar')).toBe('ERR INVALID-ARGUMENT\n');
  });
  it('check order: UNKNOWN-UPS, availability, ACCESS-DENIED, VAR-NOT-SUPPORTED, READONLY', async () => {
    await login('reader', 'r');
    expect(await c.ask('SET VAR nope x y')).toBe('ERR UNKNOWN-UPS\n');
    dev.connected = false;
    expect(await c.ask('SET VAR dummy nope y')).toBe('ERR DRIVER-NOT-CONNECTED\n');
    dev.connected = true;
    dev.tree.setStale(true);
    expect(await c.ask('SET VAR dummy nope y')).toBe('ERR DATA-STALE\n');
    dev.tree.setStale(false);
    expect(await c.ask('SET VAR dummy nope y')).toBe('ERR ACCESS-DENIED\n');
    const admin = await TestClient.open(ctx.port);
    await admin.ask('USERNAME admin');
    await admin.ask('PASSWORD secret');
    expect(await admin.ask('SET VAR dummy nope y')).toBe('ERR VAR-NOT-SUPPORTED\n');
    expect(await admin.ask('SET VAR dummy driver.name y')).toBe('ERR READONLY\n');
    admin.close();
  });
  it('value checks: STRING aux, enum (exact, escaped form), range (atoi)', async () => {
    await login('admin', 'secret');
    expect(await c.ask('SET VAR dummy ups.id x')).toBe('ERR SET-FAILED\n');
    expect(await c.ask(`SET VAR dummy ups.mfr "${'x'.repeat(33)}"`)).toBe('ERR TOO-LONG\n');
    expect(await c.ask(`SET VAR dummy ups.mfr "${'x'.repeat(32)}"`)).toBe('OK\n');
    expect(await c.ask('SET VAR dummy input.transfer.low 101')).toBe('ERR INVALID-VALUE\n');
    expect(await c.ask('SET VAR dummy input.transfer.low 103')).toBe('OK\n');
    expect(await c.ask('SET VAR dummy ups.delay.shutdown 90')).toBe('ERR INVALID-VALUE\n');
    expect(await c.ask('SET VAR dummy ups.delay.shutdown 150abc')).toBe('OK\n');
    expect(await c.ask('SET VAR dummy ups.delay.shutdown abc')).toBe('OK\n');
    expect(await c.ask('SET VAR dummy output.voltage 235')).toBe('ERR INVALID-VALUE\n');
    expect(await c.ask('SET VAR dummy output.voltage 230')).toBe('OK\n');
    expect(await c.ask('SET VAR DUMMY BATTERY.CHARGE "50 %" ignored')).toBe('OK\n');
    expect(dev.sent).toEqual([
      `SET ups.mfr ${'x'.repeat(32)}`,
      'SET input.transfer.low 103',
      'SET ups.delay.shutdown 150abc',
      'SET ups.delay.shutdown abc',
      'SET output.voltage 230',
      'SET BATTERY.CHARGE 50 %',
    ]);
    dev.deliver = false;
    expect(await c.ask('SET VAR dummy battery.charge 1')).toBe('ERR SET-FAILED\n');
  });
  it('SET TRACKING ON/OFF', async () => {
    expect(await c.ask('SET TRACKING ON')).toBe('ERR USERNAME-REQUIRED\n');
    await login('reader', 'r');
    expect(await c.ask('SET TRACKING maybe')).toBe('ERR INVALID-ARGUMENT\n');
    expect(await c.ask('SET TRACKING on')).toBe('OK\n');
    expect(await c.ask('GET TRACKING')).toBe('ON\n');
    expect(await c.ask('SET TRACKING Off')).toBe('OK\n');
    expect(await c.ask('GET TRACKING')).toBe('OFF\n');
  });
});

describe('INSTCMD', () => {
  it('check order: args, UNKNOWN-UPS, availability, CMD-NOT-SUPPORTED, ACCESS-DENIED', async () => {
    expect(await c.ask('INSTCMD dummy load.off')).toBe('ERR USERNAME-REQUIRED\n');
    await login('tester', 't');
    expect(await c.ask('INSTCMD dummy')).toBe('ERR INVALID-ARGUMENT\n');
    expect(await c.ask('INSTCMD nope load.off')).toBe('ERR UNKNOWN-UPS\n');
    dev.tree.setStale(true);
    expect(await c.ask('INSTCMD dummy nope')).toBe('ERR DATA-STALE\n');
    dev.tree.setStale(false);
    expect(await c.ask('INSTCMD dummy nope')).toBe('ERR CMD-NOT-SUPPORTED\n');
    expect(await c.ask('INSTCMD dummy beeper.enable')).toBe('ERR ACCESS-DENIED\n');
    expect(await c.ask('INSTCMD dummy TEST.B')).toBe('OK\n');
    expect(await c.ask('INSTCMD dummy load.off 5')).toBe('OK\n');
    expect(await c.ask('INSTCMD dummy load.off 5 6')).toBe('OK\n');
    expect(dev.sent).toEqual(['INSTCMD TEST.B', 'INSTCMD load.off 5', 'INSTCMD load.off']);
    dev.deliver = false;
    expect(await c.ask('INSTCMD dummy load.off')).toBe('ERR INSTCMD-FAILED\n');
  });
  it('tracking: upper-case UUIDv4, PENDING until the driver answers, results mapped', async () => {
    await login('admin', 'secret');
    await c.ask('SET TRACKING ON');
    const ok = await c.ask('INSTCMD dummy load.off');
    const m = /^OK TRACKING ([0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12})\n$/.exec(ok);
    expect(m).not.toBeNull();
    const id = m![1];
    expect(dev.sent.at(-1)).toBe(`INSTCMD load.off ${id}`);
    expect(await c.ask(`GET TRACKING ${id}`)).toBe('PENDING\n');
    dev.result(id, 0);
    expect(await c.ask(`GET TRACKING ${id.toLowerCase()}`)).toBe('SUCCESS\n');
    const codes: Array<[number, string]> = [
      [1, 'ERR UNKNOWN'],
      [2, 'ERR INVALID-ARGUMENT'],
      [3, 'ERR FAILED'],
      [7, 'ERR UNKNOWN'],
    ];
    for (const [status, text] of codes) {
      const a = await c.ask('SET VAR dummy battery.charge 5');
      const tid = a.slice('OK TRACKING '.length, -1);
      dev.result(tid, status);
      expect(await c.ask(`GET TRACKING ${tid}`)).toBe(text + '\n');
    }
    expect(await c.ask('GET TRACKING 00000000-0000-4000-8000-000000000000')).toBe('ERR UNKNOWN\n');
    // the table is global; a connection with tracking off may not read it
    await c.ask('SET TRACKING OFF');
    expect(await c.ask(`GET TRACKING ${id}`)).toBe('ERR FEATURE-NOT-CONFIGURED\n');
    const other = await TestClient.open(ctx.port);
    await other.ask('USERNAME reader');
    await other.ask('PASSWORD r');
    await other.ask('SET TRACKING ON');
    expect(await other.ask(`GET TRACKING ${id}`)).toBe('SUCCESS\n');
    other.close();
  });
});

describe('LOGIN, PRIMARY, MASTER, FSD', () => {
  it('LOGIN check order', async () => {
    expect(await c.ask('LOGIN dummy')).toBe('ERR USERNAME-REQUIRED\n');
    await login('monsecondary', 's');
    expect(await c.ask('LOGIN')).toBe('ERR INVALID-ARGUMENT\n');
    expect(await c.ask('LOGIN nope')).toBe('ERR UNKNOWN-UPS\n');
    dev.connected = false;
    expect(await c.ask('LOGIN dummy')).toBe('OK\n');
    expect(await c.ask('LOGIN nope')).toBe('ERR ALREADY-LOGGED-IN\n');
    expect(await c.ask('PRIMARY dummy')).toBe('ERR ACCESS-DENIED\n');
    expect(await c.ask('FSD dummy')).toBe('ERR ACCESS-DENIED\n');
  });
  it('PRIMARY / MASTER need upsmon primary', async () => {
    await login('monprimary', 'p');
    expect(await c.ask('PRIMARY dummy a')).toBe('ERR INVALID-ARGUMENT\n');
    expect(await c.ask('PRIMARY nope')).toBe('ERR UNKNOWN-UPS\n');
    expect(await c.ask('PRIMARY dummy')).toBe('OK PRIMARY-GRANTED\n');
    expect(await c.ask('MASTER dummy')).toBe('OK MASTER-GRANTED\n');
  });
  it('wrong password, unknown user and password-less users are denied', async () => {
    for (const [u, p] of [
      ['monprimary', 'wrong'],
      ['MONPRIMARY', 'p'],
      ['ghost', 'x'],
    ]) {
      const x = await TestClient.open(ctx.port);
      await x.ask(`USERNAME ${u}`);
      await x.ask(`PASSWORD ${p}`);
      expect(await x.ask('LOGIN dummy')).toBe('ERR ACCESS-DENIED\n');
      expect(await x.ask('PRIMARY dummy')).toBe('ERR ACCESS-DENIED\n');
      x.close();
    }
    await login('nopass', '""');
    expect(await c.ask('SET VAR dummy battery.charge 1')).toBe('ERR ACCESS-DENIED\n');
  });
  it('FSD latch: prefixes ups.status in GET VAR and LIST VAR (not LIST RW), survives driver reconnects', async () => {
    await login('monprimary', 'p');
    expect(await c.ask('FSD nope')).toBe('ERR UNKNOWN-UPS\n');
    dev.tree.setFlags('ups.status', 0x1);
    expect(await c.ask('FSD dummy')).toBe('OK FSD-SET\n');
    expect(await c.ask('GET VAR dummy ups.status')).toBe('VAR dummy ups.status "FSD OL CHRG"\n');
    expect(await c.ask('LIST VAR dummy')).toContain('VAR dummy ups.status "FSD OL CHRG"\n');
    expect(await c.ask('LIST RW dummy')).toContain('RW dummy ups.status "OL CHRG"\n');
    expect(await c.ask('GET VAR nodesc ups.status')).toBe('VAR nodesc ups.status "OB"\n');
    dev.tree.clear();
    dev.tree.setStale(false);
    dev.tree.setInfo('ups.status', 'OB LB');
    expect(await c.ask('GET VAR dummy ups.status')).toBe('VAR dummy ups.status "FSD OB LB"\n');
  });
  it('admin with actions = SET FSD may FSD but not LOGIN', async () => {
    await login('admin', 'secret');
    expect(await c.ask('FSD dummy')).toBe('OK FSD-SET\n');
    expect(await c.ask('LOGIN dummy')).toBe('ERR ACCESS-DENIED\n');
  });
});

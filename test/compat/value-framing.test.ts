/**
 * Nothing a device sends breaks the protocol's framing. Values holding a newline, a carriage
 * return, NUL, other control bytes, quotes and backslashes reach the state tree through every
 * way a driver has (a plugin's dstate calls in a worker, NUT's C driver over its socket, our
 * dummy-ups reading a file, our snmp-ups decoding an agent), and LIST VAR / GET VAR must stay
 * one line per variable, as with NUT 2.8.0, whose upsd drops every byte outside 0x20-0x7F
 * (parseconf). Where NUT can serve the same device (snmp-ups), the values must equal NUT's.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host } from '../../core/src/host/host.js';
import { NUT_SNMP_UPS } from '../../plugins/snmp-ups/test/helpers/nut.js';
import { startSnmpsim, type Snmpsim } from '../../plugins/snmp-ups/test/helpers/snmpsim.js';
import { freePort, makeSandbox, requireOracle, startNutDriver, startNutUpsd, type Sandbox } from '../helpers/oracle.js';
import { until } from '../helpers/wait.js';
import type { ChildProcess } from 'node:child_process';

const hex = (s: string) => Buffer.from(s, 'latin1').toString('hex').toUpperCase();
/** An RFC 1628 agent whose strings carry what no client should ever see raw. */
const RECORDING = [
  '1.3.6.1.2.1.1.1.0|4x|' + hex('agent "one"\r\nline two'),
  '1.3.6.1.2.1.1.2.0|6|1.3.6.1.2.1.33',
  '1.3.6.1.2.1.33.1.1.1.0|4x|' + hex('Ac"me\r\nCo \\ x'),
  // binary: Net-SNMP renders it as hex over two lines (a line break after 16 bytes)
  '1.3.6.1.2.1.33.1.1.2.0|4x|' + '00'.repeat(18) + '0A3031323334350000000000',
  '1.3.6.1.2.1.33.1.1.3.0|4x|' + hex('v1.0\0beta'),
  '1.3.6.1.2.1.33.1.4.1.0|2|3',
].join('\n') + '\n';

/** A dummy-ups file with control bytes, quotes, a backslash and CRLF line ends. */
const DEV_FILE = 'ups.mfr: "Ac\\"me" \x01\r\nups.model: two\x00words\x1b[31m\r\nups.status: OL\r\ndevice.description: "back\\\\slash\ttab"\r\n';

const VAR_LINE = /^VAR \S+ \S+ "(?:[^"\\]|\\.)*"$/;

/** Sends lines to a upsd and returns the answer lines once `done` matches the last one. */
function ask(port: number, request: string, done: RegExp): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let text = '';
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`no complete answer to ${JSON.stringify(request)}: ${JSON.stringify(text)}`));
    }, 15_000);
    s.setEncoding('latin1');
    s.on('data', (d) => {
      text += d;
      const lines = text.split('\n');
      if (text.endsWith('\n') && done.test(lines.at(-2) ?? '')) {
        clearTimeout(t);
        s.destroy();
        resolve(lines.slice(0, -1));
      }
    });
    s.on('error', reject);
    s.write(request);
  });
}

/** LIST VAR and GET VAR answers, checked for framing; returns the values by name. */
async function framedValues(port: number, ups: string, names: string[]): Promise<Map<string, string>> {
  const list = await ask(port, `LIST VAR ${ups}\n`, new RegExp(`^(END LIST VAR ${ups}|ERR .*)$`));
  expect(list[0]).toBe(`BEGIN LIST VAR ${ups}`);
  expect(list.at(-1)).toBe(`END LIST VAR ${ups}`);
  const body = list.slice(1, -1);
  for (const line of body) {
    expect(line, JSON.stringify(line)).toMatch(VAR_LINE);
    expect(line).not.toMatch(/[^\x20-\x7e]/);
  }
  const values = new Map<string, string>();
  for (const line of body) {
    const m = /^VAR \S+ (\S+) "(.*)"$/.exec(line)!;
    values.set(m[1], m[2]);
  }
  for (const name of names) {
    const get = await ask(port, `GET VAR ${ups} ${name}\n`, /^(VAR|ERR) /);
    expect(get, `GET VAR ${ups} ${name}`).toHaveLength(1);
    expect(get[0]).toMatch(VAR_LINE);
    expect(get[0]).toBe(`VAR ${ups} ${name} "${values.get(name)}"`);
  }
  return values;
}

describe('values with control characters and quotes keep the protocol framed', () => {
  let sim: Snmpsim;
  let nutSb: Sandbox;
  let nutChildren: ChildProcess[] = [];
  let nutPort: number;
  let cSb: Sandbox;
  let cHost: Host;
  let cPort: number;
  let sb: Sandbox;
  let host: Host;
  let port: number;

  beforeAll(async () => {
    requireOracle(NUT_SNMP_UPS);
    const dir = makeSandbox('nut-ts-framing-rec-');
    const rec = dir.write('hostile.snmprec', RECORDING);
    sim = await startSnmpsim([rec]);
    dir.cleanup();
    const snmpSection = `[t]\n driver = snmp-ups\n port = 127.0.0.1:${sim.port}\n community = hostile\n snmp_retries = 1\n`;

    // NUT 2.8.0 itself: its snmp-ups and its upsd
    nutSb = makeSandbox('nut-ts-framing-nut-');
    nutSb.write('ups.conf', `[d]\n driver = dummy-ups\n port = hostile.dev\n${snmpSection}`);
    nutSb.write('hostile.dev', DEV_FILE);
    nutPort = await freePort();
    nutChildren.push(startNutDriver(nutSb, 'snmp-ups', 't'), startNutDriver(nutSb, 'dummy-ups', 'd'));
    await until('NUT driver sockets', () => existsSync(join(nutSb.statePath, 'snmp-ups-t')) && existsSync(join(nutSb.statePath, 'dummy-ups-d')), 30_000);
    nutChildren.push(await startNutUpsd(nutSb, nutPort));

    // NUT's C snmp-ups run by our host (no plugin searched): its socket carries the raw line breaks
    cSb = makeSandbox('nut-ts-framing-c-');
    cSb.write('ups.conf', snmpSection);
    cHost = new Host({
      paths: { confPath: cSb.confPath, statePath: cSb.statePath, altPidPath: cSb.statePath, driverPath: '/lib/nut' },
      pluginSearch: { builtin: false, nodeModules: false },
      log: () => {},
    });
    expect(await cHost.startInstance('t', { user: 'root', maxstartdelayMs: 30_000 })).toEqual({ ok: true, messages: [] });
    cPort = await freePort();
    expect((await cHost.upsd.start({ listen: [{ host: '127.0.0.1', port: cPort }], noConfigFiles: true })).ok).toBe(true);

    // Our plugins: a worker plugin that publishes hostile values, dummy-ups from a file, snmp-ups
    sb = makeSandbox('nut-ts-framing-ours-');
    const pluginDir = join(sb.dir, 'plugins', 'hostile-ups');
    mkdirSync(pluginDir, { recursive: true });
    writeFileSync(
      join(pluginDir, 'package.json'),
      JSON.stringify({ name: 'hostile-ups', version: '1.0.0', type: 'module', 'nut-ts': { driver: 'hostile-ups', kind: 'software', description: 'hostile values', version: '1', entry: 'index.js' } }),
    );
    writeFileSync(
      join(pluginDir, 'index.js'),
      `export default {
  initinfo(ctx) {
    ctx.dstate.setinfo('ups.mfr', 'line one\\nVAR w ups.fake "injected"');
    ctx.dstate.setinfo('ups.model', 'cr\\rnul\\0bell\\x07 "quoted" back\\\\slash');
    ctx.dstate.setinfo('ups.id', 'a\\r\\n');
    ctx.dstate.setflags('ups.id', 1 | 2);
    ctx.dstate.addenum('ups.id', 'one\\ntwo');
    ctx.dstate.addcmd('load.\\noff');
  },
  updateinfo(ctx) {
    ctx.status.init();
    ctx.status.set('OL');
    ctx.status.commit();
    ctx.dstate.dataok();
  },
};
`,
    );
    sb.write('hostile.dev', DEV_FILE);
    sb.write('ups.conf', `[w]\n driver = hostile-ups\n port = none\n[d]\n driver = dummy-ups\n port = hostile.dev\n${snmpSection}`);
    host = new Host({
      paths: { confPath: sb.confPath, statePath: sb.statePath, altPidPath: sb.statePath, driverPath: '/lib/nut' },
      settings: { pluginPaths: [join(sb.dir, 'plugins')] },
      pluginSearch: { nodeModules: false },
      log: () => {},
    });
    for (const ups of ['w', 'd', 't']) expect(await host.startInstance(ups, { maxstartdelayMs: 30_000 }), ups).toEqual({ ok: true, messages: [] });
    port = await freePort();
    expect((await host.upsd.start({ listen: [{ host: '127.0.0.1', port }], noConfigFiles: true })).ok).toBe(true);
  }, 120_000);

  afterAll(async () => {
    await host?.close();
    await cHost?.close();
    for (const c of nutChildren) c.kill('SIGTERM');
    await sim?.stop();
    for (const s of [sb, cSb, nutSb]) s?.cleanup();
  });

  it('a plugin calling setinfo/addenum/addcmd in its worker', async () => {
    const v = await framedValues(port, 'w', ['ups.mfr', 'ups.model', 'ups.id']);
    expect(v.get('ups.mfr')).toBe('line oneVAR w ups.fake \\"injected\\"');
    expect(v.get('ups.model')).toBe('crnulbell \\"quoted\\" back\\\\slash');
    expect(v.has('ups.fake')).toBe(false);
    const enums = await ask(port, 'LIST ENUM w ups.id\n', /^(END LIST ENUM|ERR)/);
    expect(enums).toEqual(['BEGIN LIST ENUM w ups.id', 'ENUM w ups.id "onetwo"', 'END LIST ENUM w ups.id']);
    const cmds = await ask(port, 'LIST CMD w\n', /^(END LIST CMD|ERR)/);
    expect(cmds).toEqual(['BEGIN LIST CMD w', 'CMD w load.off', 'END LIST CMD w']);
  });

  it('our dummy-ups reading a file with control bytes, quotes and CRLF: as NUT dummy-ups and upsd serve it', async () => {
    const names = ['ups.mfr', 'ups.model', 'device.description'];
    const nut = await framedValues(nutPort, 'd', names);
    const ours = await framedValues(port, 'd', names);
    for (const name of names) expect(ours.get(name), name).toBe(nut.get(name));
    expect(ours.get('ups.model')).toBe('twowords[31m');
  });

  it('our snmp-ups: the same values as NUT 2.8.0 serves for the same agent', async () => {
    const names = ['ups.mfr', 'ups.model', 'ups.firmware', 'device.description'];
    const nut = await framedValues(nutPort, 't', names);
    const ours = await framedValues(port, 't', names);
    for (const name of names) expect(ours.get(name), name).toBe(nut.get(name));
    expect(ours.get('ups.model')).toBe('00 '.repeat(18) + '0A 30 31 32 33 34 35 00 00 00 00 00 ');
    expect(ours.get('ups.mfr')).toBe('Ac\\"meCo \\\\ x');
  });

  it('NUT C snmp-ups attached through its driver socket: the same values as NUT upsd serves', async () => {
    await until('C driver data', () => cHost.instance('t')?.tree.getValue('ups.model'), 30_000);
    const names = ['ups.mfr', 'ups.model', 'ups.firmware', 'device.description'];
    const nut = await framedValues(nutPort, 't', names);
    const ours = await framedValues(cPort, 't', names);
    for (const name of names) expect(ours.get(name), name).toBe(nut.get(name));
  });
});

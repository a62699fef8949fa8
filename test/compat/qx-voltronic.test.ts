/**
 * The Voltronic protocol's commands and settings on its simulator (the Digitus dump), NUT
 * 2.8.0's nutdrv_qx and ours side by side (one simulator each): every command and setting
 * sends the same wire string, the ones the unit or the limits refuse are refused by both,
 * power events show the same way, and the trees stay identical. And NUT's own testing table
 * (the replies its voltronic subdriver is tested with) served on a line: both drivers agree.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTable } from '../../plugins/nutdrv_qx/src/table.js';
import { openPty } from '../../plugins/nutdrv_qx/src/simulator/pty.js';
import { Q1Device } from '../../plugins/nutdrv_qx/src/simulator/q1-device.js';
import { Q1Server } from '../../plugins/nutdrv_qx/src/simulator/server.js';
import { readDump } from '../../plugins/nutdrv_qx/src/simulator/dump.js';
import { makeSandbox, NUT_DRIVER_DIR, requireOracle, stopChild } from '../helpers/oracle.js';
import { dumpAll, eventually, normalizeDump, oursDump, oursInstcmd, oursSetvar, startNut, startOurs, startPair, upsConf, type Pair } from './qx-harness.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DDL = join(ROOT, 'test', 'fixtures', 'ddl');
const DUMP = join(DDL, 'Digitus__DN-170041__nutdrv_qx__2.7.4__01.dev');
const pairs: Pair[] = [];
const stops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const p of pairs) await p.stop().catch(() => {});
  for (const s of stops.reverse()) await s().catch(() => {});
});

/** A unit that answers what NUT's testing[] table answers ((NAK otherwise). */
class TestingTableDevice extends Q1Device {
  private readonly answers = new Map(
    loadTable(resolve(import.meta.dirname, '..', '..', 'plugins', 'nutdrv_qx', 'tables', 'voltronic.json')).testing!.map((t) => [t.command.replace(/\r$/, '').toUpperCase(), t.answer]),
  );
  constructor() {
    super('voltronic', new Map());
  }
  override reply(cmd: string): string {
    this.received.push(cmd);
    return this.answers.get(cmd.toUpperCase()) ?? '(NAK\r';
  }
}

const withoutDriver = (t: Record<string, unknown>) => {
  const vars = { ...(t.vars as Record<string, unknown>) };
  for (const k of Object.keys(vars)) if (k.startsWith('driver.')) delete vars[k];
  return { ...t, vars };
};

async function sameTrees(p: Pair, what: string): Promise<void> {
  let last = '';
  await eventually(
    `the same tree after ${what}`,
    async () => {
      const theirs = JSON.stringify(withoutDriver(normalizeDump(await dumpAll(p.nut.socket))));
      const mine = JSON.stringify(withoutDriver(normalizeDump(oursDump(p.ours.rt))));
      last = `NUT ${theirs}\nours ${mine}`;
      return theirs === mine;
    },
    20_000,
    () => last,
  );
}

describe('nutdrv_qx voltronic commands and settings (NUT and ours)', () => {
  it('sends the same wire commands and publishes the same tree', async () => {
    requireOracle('/lib/nut/nutdrv_qx', '/usr/bin/socat');
    const p = await startPair(DUMP, { protocol: 'voltronic' });
    pairs.push(p);
    const [nutSim, ourSim] = p.sims;
    await eventually('both up', async () => (await p.nutState()).vars.get('ups.status') === 'OL BYPASS' && p.oursState().vars.get('ups.status') === 'OL BYPASS');
    await sameTrees(p, 'start');

    const steps: Array<['INSTCMD' | 'SET', string, string | undefined, string]> = [
      ['INSTCMD', 'beeper.toggle', undefined, 'BZOFF'],
      ['INSTCMD', 'test.battery.start', '120', 'T02'],
      ['INSTCMD', 'test.battery.stop', undefined, 'CT'],
      ['INSTCMD', 'test.battery.start', '30', 'T.5'],
      ['INSTCMD', 'test.battery.start.deep', undefined, 'TL'],
      ['INSTCMD', 'test.battery.stop', undefined, 'CT'],
      ['INSTCMD', 'bypass.stop', undefined, 'PDE'],
      ['INSTCMD', 'beeper.disable', undefined, 'PDA'],
      ['INSTCMD', 'shutdown.return', undefined, 'S.5R0003'],
      ['INSTCMD', 'shutdown.stop', undefined, 'CS'],
      ['SET', 'input.transfer.high', '250', 'HEH250'],
      ['SET', 'input.transfer.low', '210', 'HEL210'],
      ['SET', 'battery.energysave', 'yes', 'PEG'],
      ['SET', 'ups.start.auto', 'no', 'PDR'],
      ['SET', 'battery.packs', '2', 'BATGN02'],
      ['SET', 'ups.delay.shutdown', '125', ''],
      ['INSTCMD', 'shutdown.stayoff', undefined, 'S02R0000'],
      ['INSTCMD', 'shutdown.stop', undefined, 'CS'],
      ['INSTCMD', 'load.off', undefined, 'SOFF'],
      ['INSTCMD', 'load.on', undefined, 'SON'],
    ];
    for (const [kind, name, arg, wire] of steps) {
      const before = [nutSim.device.received.length, ourSim.device.received.length] as const;
      await p.nutCommand(`${kind} ${name}${arg !== undefined ? ` ${arg}` : ''}`);
      const status = kind === 'INSTCMD' ? await oursInstcmd(p.ours.rt, name, arg) : await oursSetvar(p.ours.rt, name, arg!);
      expect(status, `${name} ${arg ?? ''}`).toBe(0);
      if (wire) {
        expect(ourSim.device.received.slice(before[1]), `${name} ${arg ?? ''}`).toContain(wire);
        await eventually(`NUT sends ${wire}`, () => nutSim.device.received.slice(before[0]).includes(wire));
      }
    }
    // The unit's new settings come back on the next full update.
    const settings = (vars: Map<string, string>) => ['ups.beeper.status', 'ups.start.auto', 'battery.energysave', 'input.transfer.high', 'battery.packs'].map((n) => vars.get(n)).join(' ');
    await eventually('the new settings', async () => settings((await p.nutState()).vars) === 'disabled no yes 250 2' && settings(p.oursState().vars) === 'disabled no yes 250 2');
    await sameTrees(p, 'the commands and settings');

    // Refused before anything is sent: limits outside the unit's range, a test too short.
    for (const [kind, name, arg] of [['SET', 'input.transfer.high', '300'], ['SET', 'battery.packs', '0'], ['INSTCMD', 'test.battery.start', '6']] as const) {
      const before = ourSim.device.received.filter((c) => !/^Q|^F$|^RE0$/.test(c)).length;
      const status = kind === 'INSTCMD' ? await oursInstcmd(p.ours.rt, name, arg) : await oursSetvar(p.ours.rt, name, arg);
      expect(status, `${name} ${arg}`).not.toBe(0);
      expect(ourSim.device.received.filter((c) => !/^Q|^F$|^RE0$/.test(c)).length).toBe(before);
    }

    await p.event('onbattery');
    await eventually('on battery', async () => (await p.nutState()).vars.get('ups.status')?.startsWith('OB') === true && p.oursState().vars.get('ups.status')?.startsWith('OB') === true);
    await p.event('lowbattery');
    await eventually('low battery', async () => (await p.nutState()).vars.get('ups.status')?.includes('LB') === true && p.oursState().vars.get('ups.status')?.includes('LB') === true);
    await sameTrees(p, 'a power failure');
  }, 60_000);

  it("NUT's testing table on a line: the same tree and the same logged settings", async () => {
    requireOracle('/lib/nut/nutdrv_qx', '/usr/bin/socat');
    const pty = await openPty();
    const server = new Q1Server(new TestingTableDevice(), (b) => pty.write(b));
    pty.onData((b) => server.input(b));
    try {
      // testing: QBDR too; ups.conf settings the unit's limits allow, and one they do not.
      const options = { protocol: 'voltronic', testing: true, min_bypass_volt: '190', max_bypass_freq: '51', eco_mode: 'enabled', output_phase_angle: '120', max_bypass_volt: '100' } as const;
      const nut = await startNut(pty.path, options);
      const theirs = await dumpAll(nut.socket);
      await nut.stop();
      expect(nut.stderr()).toContain('Using protocol: Voltronic 0.06');
      const ours = await startOurs(pty.path, options);
      const mine = oursDump(ours.rt);
      await ours.stop();
      const t = withoutDriver(normalizeDump(theirs)) as { vars: Record<string, unknown>; cmds: string[] };
      expect(Object.keys(t.vars).length).toBeGreaterThan(45);
      expect(t.cmds).toContain('outlet.1.load.on');
      expect(withoutDriver(normalizeDump(mine))).toEqual(t);
      // What NUT logs of the settings without a variable ("battery_number: 2", "…, settable range: …").
      const names = /^(battery_number|bypass_alarm|battery_alarm|bypass_when_off|alarm_control|converter_mode|eco_mode|battery_open_status_check|bypass_forbidding|site_fault_detection|advanced_eco_mode|constant_phase_angle|limited_runtime_on_battery|max_bypass_volt|min_bypass_volt|max_bypass_freq|min_bypass_freq|input_phase_angle|output_phase_angle|voltronic_parallel|unknown\.7)[:,]/;
      const logged = nut.stderr().split('\n').filter((l) => names.test(l));
      expect(logged.length).toBeGreaterThan(15);
      for (const l of logged) expect(ours.logs, l).toContain(l);
    } finally {
      await pty.close();
    }
  }, 60_000);

  it('FSP Champ behind its cypress bridge (0665:5161, port=auto): NUT reads the dump, ours reads what NUT reads', async () => {
    requireOracle('/lib/nut/nutdrv_qx', '/usr/bin/umockdev-wrapper');
    const file = join(DDL, 'FSP__Fortron_UPS_Champ_1000VA_Tower__nutdrv_qx__2.7.4__02.dev');
    const child = spawn(process.execPath, [join(ROOT, 'core', 'dist', 'cli', 'nut.js'), 'simulate', 'qx', '--usb', 'cypress', '--from', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    stops.push(() => stopChild(child));
    const first = await new Promise<string>((res, rej) => {
      createInterface({ input: child.stdout! }).once('line', res);
      child.once('exit', (c) => rej(new Error(`nut simulate qx --usb exited (${c})`)));
    });
    const env: NodeJS.ProcessEnv = Object.fromEntries(first.split(' ').map((kv) => kv.split('=') as [string, string]));
    const sb = makeSandbox('nut-ts-qx-voltronic-usb-');
    stops.push(async () => sb.cleanup());
    // The dump's ups.conf (bus aside: the virtual device has its own).
    sb.write('ups.conf', upsConf('auto', { vendorid: '0665', productid: '5161', product: 'USB to Serial', vendor: 'INNO TECH' }));
    const run = (cmd: string, args: string[]) =>
      new Promise<{ out: string; err: string }>((res) => {
        const c = spawn(cmd, args, { env: { ...sb.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        c.stdout!.on('data', (b: Buffer) => (out += b.toString('latin1')));
        c.stderr!.on('data', (b: Buffer) => (err += b.toString('latin1')));
        c.once('exit', () => res({ out, err }));
      });
    const vars = (out: string) => new Map(out.split('\n').map((l) => /^([\w.]+): (.*)$/.exec(l)).filter((m): m is RegExpExecArray => m !== null && !m[1]!.startsWith('driver.')).map((m) => [m[1]!, m[2]!]));
    const nut = await run(join(NUT_DRIVER_DIR, 'nutdrv_qx'), ['-a', 'ups', '-d', '1', '-u', 'root']);
    expect(nut.err).toContain('Using protocol: Voltronic 0.06');
    const theirs = vars(nut.out);
    for (const [name, value] of readDump(file)) if (!name.startsWith('driver.')) expect.soft(theirs.get(name), name).toBe(value);
    const ours = await run(process.execPath, [join(ROOT, 'core', 'dist', 'cli', 'driver.js'), 'nutdrv_qx', '-a', 'ups', '-d', '1']);
    expect(vars(ours.out)).toEqual(theirs);
  }, 90_000);
});

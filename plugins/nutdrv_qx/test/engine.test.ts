/**
 * Engine details NUT's testing tables do not reach: C number formatting, a vendor table
 * extending the shipped ones, the simulator's wire lines, malformed replies.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cformat, fixed } from '../src/cformat.js';
import { builtinTableFiles, createNutdrvQx, loadTables } from '../src/index.js';
import { parseDump } from '../src/simulator/dump.js';
import { applyEvent } from '../src/simulator/events.js';
import { Q1Device } from '../src/simulator/q1-device.js';
import { Q1Server } from '../src/simulator/server.js';
import { makeRuntime, TestingLink } from './helpers/runtime.js';
import type { QxLink } from '../src/engine.js';

describe('cformat', () => {
  it('rounds exact ties to even as glibc does, and pads like printf', () => {
    expect([fixed(2.5, 0), fixed(3.5, 0), fixed(0.125, 2), fixed(1.005, 2), fixed(-0.04, 1)]).toEqual(['2', '4', '0.12', '1.00', '-0.0']);
    expect(cformat('S%02dR%04ld', 2, 3)).toBe('S02R0003');
    expect(cformat('PM-%s', 'V')).toBe('PM-V');
  });
});

describe('vendor protocol tables', () => {
  it('a table a vendor package adds is detected in its place in the order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qx-vendor-'));
    const megatec = JSON.parse(readFileSync(builtinTableFiles().find((f) => f.endsWith('megatec.json'))!, 'latin1'));
    const vendor = { ...megatec, protocol: 'acme', version: 'Acme 1.0', detectionOrder: -1 };
    writeFileSync(join(dir, 'acme.json'), JSON.stringify(vendor));
    const tables = loadTables([...builtinTableFiles(), join(dir, 'acme.json')]);
    expect(tables[0]!.protocol).toBe('acme');
    const link = new TestingLink(megatec);
    const plugin = createNutdrvQx({ tables: [...builtinTableFiles(), join(dir, 'acme.json')], link: async () => link });
    const { rt, logs } = makeRuntime(link);
    await plugin.initups!(rt.ctx);
    expect(logs).toContain('Using protocol: Acme 1.0');
    expect(link.sent.slice(0, 2)).toEqual(['Q1\r', 'I\r']);
  });

  it('a file that is not a protocol table is refused with its name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qx-bad-'));
    writeFileSync(join(dir, 'bad.json'), '{"items": 3}');
    expect(() => loadTables([join(dir, 'bad.json')])).toThrow(/bad\.json: not a nutdrv_qx protocol table/);
  });
});

describe('replies a device should not send', () => {
  it('garbage, NULs, quotes and newlines fail the poll, never the driver', async () => {
    let reply = '(226.0 195.0 226.0 014 49.0 27.5 30.0 00001001\r';
    const link: QxLink = { command: async (cmd) => (cmd.startsWith('Q1') ? { data: reply, length: reply.length } : { data: `${cmd}`, length: cmd.length }) };
    let clock = 1_000_000;
    const { rt } = makeRuntime(link, { options: { protocol: 'megatec', novendor: true, pollfreq: '0' }, now: () => clock });
    await rt.init();
    expect(rt.tree.getValue('input.voltage')).toBe('226.0');
    for (const bad of ['\0\0\0', '"(226.0\n', '(2"6.0 195.0 226.0 014 49.0 27.5 30.0 0000100\r', '(226.0 195.0 226.0 014 49.0 27.5 30.0 0000x001\r']) {
      reply = bad;
      await rt.update();
    }
    expect(rt.tree.getValue('input.voltage')).toBe('226.0');
    reply = '(230.0 195.0 226.0 014 49.0 27.5 30.0 00001001\r';
    clock += 1100; // past the second of the last full poll (pollfreq 0)
    await rt.update();
    expect(rt.tree.getValue('input.voltage')).toBe('230.0');
  });
});

describe('Q1 simulator', () => {
  const dump = parseDump('input.voltage: 253.0\ninput.voltage.fault: 165.0\noutput.voltage: 228.0\nups.load: 20\ninput.frequency: 50.0\nbattery.voltage: 26.00\nups.temperature: 0.0\nups.status: OL\nups.type: offline / line interactive\nups.beeper.status: disabled\ninput.voltage.nominal: 240\ninput.current.nominal: 10.0\nbattery.voltage.nominal: 23.5\ninput.frequency.nominal: 50\ndevice.mfr: KEBO\ndevice.model: UPS 1700VA\nups.firmware: VER7.02\n');

  it('serves the Megatec lines from a dump, echoes what it does not know', () => {
    const d = new Q1Device('megatec', dump);
    expect(d.reply('Q1')).toBe('(253.0 165.0 228.0 020 50.0 26.0 00.0 00001000\r');
    expect(d.reply('F')).toBe('#240.0 010 23.50 50.0\r');
    expect(d.reply('I')).toBe('#KEBO            UPS 1700VA VER7.02   \r');
    expect(d.reply('QGS')).toBe('QGS\r');
    expect(d.reply('Q')).toBeNull();
    expect(d.beeper).toBe(true);
  });

  it('events change the status bits; noise stays outside the answer line', () => {
    const sent: Buffer[] = [];
    const s = new Q1Server(new Q1Device('megatec', dump), (b) => sent.push(b));
    expect(applyEvent(s, 'onbattery')).toBeUndefined();
    expect(applyEvent(s, 'lowbattery')).toBeUndefined();
    expect(applyEvent(s, 'bogus')).toMatch(/unknown event/);
    applyEvent(s, 'noise on');
    s.input(Buffer.from('Q1\r'));
    const text = Buffer.concat(sent).toString('latin1');
    expect(text.startsWith('(000.0 165.0 228.0 020 50.0 26.0 00.0 11001000\r')).toBe(true);
    expect(text.length).toBeGreaterThan(48);
  });
});

describe('shipped tables', () => {
  it('validate against schema/protocol.schema.json', async () => {
    const { Ajv } = await import('ajv');
    const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'schema', 'protocol.schema.json'), 'utf8'));
    const validate = new Ajv({ allErrors: true }).compile(schema);
    for (const f of builtinTableFiles()) {
      const ok = validate(JSON.parse(readFileSync(f, 'latin1')));
      expect(ok, `${f}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });
});

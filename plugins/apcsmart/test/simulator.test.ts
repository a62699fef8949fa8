/** The simulator's unit model: answers in the unit's formats, command set, capability record, commands. */
import { describe, expect, it } from 'vitest';
import { parseCapabilities } from '../src/engine.js';
import { parseDump } from '../src/simulator/dump.js';
import { SmartUps } from '../src/simulator/unit.js';

function unit(text: string) {
  const sent: string[] = [];
  const u = new SmartUps(parseDump(text), { send: (t) => sent.push(t), note: () => undefined });
  const ask = (bytes: string) => {
    sent.length = 0;
    for (const ch of bytes) u.receive(ch);
    return sent.join('');
  };
  return { u, ask, sent };
}

const DUMP = `# a comment
battery.runtime: 1500
battery.runtime.low: 120
ups.test.interval: 1209600
input.transfer.reason: T
input.transfer.high: 253
ups.firmware: 92.11.I
ups.id: UPS_IDEN
ups.status: OL LB
driver.name: apcsmart
output.voltage.target.battery: 230
ambient.1.humidity: 45.2
ambient.3.humidity: 40.0
`;

describe('simulated Smart-UPS', () => {
  it('answers in the unit formats', () => {
    const { ask, u } = unit(DUMP);
    expect(ask('j')).toBe('0025:\r\n');
    expect(ask('q')).toBe('02\r\n');
    expect(ask('E')).toBe('336\r\n');
    expect(ask('G')).toBe('T\r\n');
    expect(ask('b')).toBe('92.11.I\r\n');
    expect(ask('V')).toBe('NA\r\n');
    expect(ask('Q')).toBe('48\r\n');
    expect(ask('H')).toBe('45.2,,40.0\r\n');
    expect(ask('Y')).toBe('SM\r\n');
    expect(u.unanswerable).toEqual(['output.voltage.target.battery']);
  });

  it('lists its characters in the command set and its settings in the capability record', () => {
    const { ask } = unit(DUMP);
    const set = ask('a').trim();
    expect(set.startsWith('3.!$%+?=#|.')).toBe(true);
    const chars = set.split('.')[2];
    for (const ch of 'jqEGbcuQYa@KZ\x1a') expect(chars).toContain(ch);
    expect(chars).not.toContain('V');
    const caps = parseCapabilities(ask('\x1a').trim());
    expect(caps.find((c) => c.char === 'u')).toEqual({ char: 'u', locale: 'I', choices: ['253', '257', '261', '265'] });
    expect(caps.find((c) => c.char === 'q')?.choices).toEqual(['02', '05', '07', '10']);
  });

  it('cycles a setting with -, takes a text after -, and wants K twice', async () => {
    const { ask, u } = unit(DUMP);
    ask('u');
    expect(ask('-')).toBe('OK\r\n');
    expect(ask('u')).toBe('257\r\n');
    ask('c');
    expect(ask('-')).toBe('');
    expect(ask('RACK7\r\r\r')).toBe('OK\r\n');
    expect(ask('c')).toBe('RACK7\r\n');
    expect(ask('K')).toBe('');
    expect(ask('K')).toBe('');
    expect(ask('S')).toBe('NA\r\n');
    u.onBattery();
    expect(ask('Q')).toBe('50\r\n');
    expect(ask('S')).toBe('OK\r\n');
    expect(ask('@123')).toBe('OK\r\n');
    expect(ask('\x7f')).toBe('OK\r\n');
    u.close();
  });
});

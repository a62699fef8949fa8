/**
 * `nut-scanner --write <file>`: the devices found, appended to an existing ups.conf as new
 * sections. What is there stays byte for byte (comments included); a device already
 * configured (same driver and port, and for USB the same ids and serial) is not added again;
 * new section names do not collide with existing ones. Values are quoted and escaped as
 * ups.conf needs (NUT's own -N output does not escape them).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseUpsConf, type UpsConfSection } from '../config/ups-conf.js';
import type { ScanDevice } from './device.js';

export interface MergeResult {
  text: string;
  added: Array<{ name: string; device: ScanDevice }>;
  /** Devices an existing section already covers, with that section's name. */
  present: Array<{ name: string; device: ScanDevice }>;
}

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => '\\' + c)}"`;
}

/**
 * The section a device becomes. NUT's `nutclient` is not a driver: a NUT server's UPS is
 * written for dummy-ups in repeater mode (`port = ups@host[:port]`), as later NUT does.
 */
export function sectionFor(device: ScanDevice): { driver: string; port: string; options: Array<[string, string | undefined]> } {
  const driver = device.driver === 'nutclient' ? 'dummy-ups' : device.driver;
  return { driver, port: device.port, options: device.options };
}

const IDENTITY_KEYS = ['vendorid', 'productid', 'serial'];

function covers(section: UpsConfSection, device: ScanDevice): boolean {
  const s = sectionFor(device);
  if (section.driver !== s.driver || section.port !== s.port) return false;
  if (s.port !== 'auto') return true;
  return s.options.every(([k, v]) => {
    if (!IDENTITY_KEYS.includes(k) || v === undefined) return true;
    const have = section.values.get(k);
    return typeof have === 'string' && have.toLowerCase() === v.toLowerCase();
  });
}

export function mergeIntoUpsConf(existing: string, devices: readonly ScanDevice[], comment?: string): MergeResult {
  const conf = parseUpsConf(existing);
  const taken = new Set(conf.sections.map((s) => s.name.toLowerCase()));
  const added: MergeResult['added'] = [];
  const present: MergeResult['present'] = [];
  let n = 1;
  let block = '';
  for (const device of devices) {
    const have = conf.sections.find((s) => covers(s, device)) ?? added.find((a) => sameDevice(a.device, device));
    if (have) {
      present.push({ name: have.name, device });
      continue;
    }
    while (taken.has(`nutdev${n}`)) n++;
    const name = `nutdev${n}`;
    taken.add(name);
    const s = sectionFor(device);
    block += `[${name}]\n\tdriver = ${quote(s.driver)}\n\tport = ${quote(s.port)}\n`;
    for (const [k, v] of s.options) block += v === undefined ? `\t${k}\n` : `\t${k} = ${quote(v)}\n`;
    added.push({ name, device });
  }
  if (!block) return { text: existing, added, present };
  let text = existing;
  if (text && !text.endsWith('\n')) text += '\n';
  if (text) text += '\n';
  if (comment) text += `# ${comment}\n`;
  return { text: text + block, added, present };
}

function sameDevice(a: ScanDevice, b: ScanDevice): boolean {
  return a.driver === b.driver && a.port === b.port && JSON.stringify(a.options) === JSON.stringify(b.options);
}

/** Merges into the file (created when missing) through a temporary file and a rename. */
export function writeUpsConf(file: string, devices: readonly ScanDevice[], comment?: string): MergeResult {
  const existing = existsSync(file) ? readFileSync(file, 'latin1') : '';
  const result = mergeIntoUpsConf(existing, devices, comment);
  if (result.added.length) {
    const tmp = `${file}.nut-scanner-${process.pid}`;
    writeFileSync(tmp, result.text, { encoding: 'latin1', mode: 0o640 });
    renameSync(tmp, file);
  }
  return result;
}

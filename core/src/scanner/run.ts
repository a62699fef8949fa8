/** Runs the selected scans together and collects their devices per type. */
import type { PluginInfo } from '../plugins/registry.js';
import type { UsbDeviceInfo } from '../plugin-api/transports.js';
import { TYPE_ORDER, type DeviceType, type ScanDevice } from './device.js';
import { addressRange, cidrToRange, resolveIPv4 } from './ip-range.js';
import { scanNutServer } from './nut-server.js';
import type { ScannerOptions } from './options.js';
import { browseMdns, type MdnsOptions } from './mdns.js';
import { mapLimited } from './pool.js';
import { defaultSnmpPort, scanSnmpHost, v3Problem } from './snmp.js';
import { snmpMatchRows } from './snmp-match.js';
import { scanSerialPort, serialPorts, serialProbes, type SerialOpener } from './serial.js';
import { usbDevices, usbMatchRows } from './usb.js';

/** How long the mDNS browse collects answers (at most; `-t` if shorter). */
const MDNS_WAIT_MS = 2000;

export interface ScanEnvironment {
  plugins: readonly PluginInfo[];
  listUsb(): Promise<UsbDeviceInfo[]>;
  serial: SerialOpener;
  stderr(s: string): void;
  /** Called as address scans finish (for a progress line). */
  progress?(type: DeviceType, done: number, total: number): void;
  /** mDNS port and group (host setting `mdns`). */
  mdns?: MdnsOptions;
  signal?: AbortSignal;
}

/** Devices found so far, per type; complete once run() resolves. */
export class ScanResults {
  /** Per type: devices by position (an address's place in its range), so the order never depends on timing. */
  private readonly byType = new Map<DeviceType, Map<number, ScanDevice[]>>();

  add(type: DeviceType, devices: readonly ScanDevice[], position = 0): void {
    const slots = this.byType.get(type) ?? new Map<number, ScanDevice[]>();
    slots.set(position, [...(slots.get(position) ?? []), ...devices]);
    this.byType.set(type, slots);
  }

  /** In NUT's print order: USB, SNMP, XML, NUT, AVAHI, IPMI, EATON_SERIAL. */
  all(): ScanDevice[] {
    return TYPE_ORDER.flatMap((t) =>
      [...(this.byType.get(t) ?? new Map<number, ScanDevice[]>()).entries()].sort((a, b) => a[0] - b[0]).flatMap(([, d]) => d),
    );
  }
}

async function addresses(start: string, end: string, stderr: (s: string) => void): Promise<string[] | undefined> {
  const a = await resolveIPv4(start);
  const b = await resolveIPv4(end);
  if (!a || !b) {
    stderr(`Invalid address : ${!a ? start : end}\n`);
    return undefined;
  }
  return [...addressRange(a, b)];
}

export async function runScans(o: ScannerOptions, env: ScanEnvironment, results = new ScanResults()): Promise<ScanResults> {
  const say = (s: string): void => {
    if (!o.quiet) env.stderr(s);
  };
  let start = o.startIp;
  let end = o.endIp;
  if (o.cidr !== undefined) {
    const range = cidrToRange(o.cidr, env.stderr);
    start = range?.start;
    end = range?.end;
  }
  const jobs: Array<Promise<void>> = [];
  const perHost = (type: DeviceType, ips: string[], scan: (ip: string) => Promise<ScanDevice[]>): Promise<void> => {
    let done = 0;
    const position = new Map(ips.map((ip, i) => [ip, i]));
    return mapLimited(ips, o.threads, async (ip) => {
      const found = await scan(ip);
      results.add(type, found, position.get(ip));
      if (o.debug > 0 && found.length) env.stderr(`${type}: ${ip}: ${found.length} device(s)\n`);
      env.progress?.(type, ++done, ips.length);
    }).then(() => undefined);
  };

  if (o.usb) {
    say('Scanning USB bus.\n');
    const rows = usbMatchRows(env.plugins);
    jobs.push(
      env.listUsb().then(
        (list) => results.add('USB', usbDevices(list, rows)),
        (e: unknown) => env.stderr(`USB scan failed: ${(e as Error).message}\n`),
      ),
    );
  }
  if (o.snmp) {
    if (start === undefined || end === undefined) say('No start IP, skipping SNMP\n');
    else {
      say('Scanning SNMP bus.\n');
      const rows = snmpMatchRows(env.plugins);
      const port = defaultSnmpPort();
      const problem = v3Problem(o.snmp_);
      const range = addresses(start, end, env.stderr);
      jobs.push(
        range.then((ips) =>
          perHost('SNMP', ips ?? [], async (ip) => {
            if (problem) {
              env.stderr(problem);
              return [];
            }
            return scanSnmpHost(ip, port, o.timeoutMs, o.snmp_, rows);
          }),
        ),
      );
    }
  }
  if (o.oldnut) {
    if (start === undefined || end === undefined) say('No start IP, skipping NUT bus (old connect method)\n');
    else {
      say('Scanning NUT bus (old connect method).\n');
      const range = addresses(start, end, env.stderr);
      jobs.push(range.then((ips) => perHost('NUT', ips ?? [], (ip) => scanNutServer(ip, o.upsdPort, o.timeoutMs, env.signal))));
    }
  }
  if (o.avahi) {
    say('Scanning NUT bus (avahi method).\n');
    const fallback = async (address: string, port: number): Promise<string[]> =>
      (await scanNutServer(address, port, o.timeoutMs, env.signal)).map((d) => d.port.slice(0, d.port.lastIndexOf('@')));
    jobs.push(browseMdns(Math.min(o.timeoutMs, MDNS_WAIT_MS), env.mdns, fallback).then((d) => results.add('AVAHI', d)));
  }
  if (o.serial !== undefined) {
    say('Scanning serial bus for Eaton devices.\n');
    const ports = serialPorts(o.serial, env.stderr);
    const probes = serialProbes(env.plugins);
    jobs.push(perHost('EATON_SERIAL', ports, (port) => scanSerialPort(env.serial, port, probes)));
  }
  await Promise.all(jobs);
  return results;
}

/**
 * `nut simulate qx [--protocol <p>] --from <dump.dev> [--events <file|->] [--link <path>]`:
 * a Q1-family UPS on a pseudo-terminal. The first stdout line is the terminal's path; it
 * runs until SIGTERM/SIGINT. Needs socat.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { protocolOfDump, readDump, SIMULATED_PROTOCOLS, type SimulatedProtocol } from './dump.js';
import { runScript } from './events.js';
import { openPty } from './pty.js';
import { Q1Device } from './q1-device.js';
import { Q1Server } from './server.js';
import { serveOnVirtualUsb, USB_BRIDGES } from './usb.js';

const USAGE = `usage: nut simulate qx --from <dump.dev> [--protocol <${SIMULATED_PROTOCOLS.join('|')}>]
                       [--events <file|->] [--link <path> | --usb <${Object.keys(USB_BRIDGES).join('|')}>] [-v]
Serves a Q1-family UPS built from a upsc dump on a pseudo-terminal (socat must be installed);
prints the terminal path on the first line and runs until SIGTERM. With --usb, the unit sits
behind that serial-over-USB bridge on nut-ts's virtual USB device (umockdev; the repository's
test/virtual-usb): the first line is then the environment a driver must run with
(LD_PRELOAD=… UMOCKDEV_DIR=…), and unplug/replug events unplug the device.
Events (file or stdin, one per line): online, onbattery, lowbattery, batteryok, fail, ok,
set <var> <value>, noise on|off, garble on|off, silence on|off, slow <ms>, unplug, replug, wait <seconds>.
`;

export interface SimulatorArgs {
  from?: string;
  protocol?: string;
  events?: string;
  link?: string;
  usb?: string;
  verbose: boolean;
}

export function parseArgs(args: string[]): SimulatorArgs | string {
  const out: SimulatorArgs = { verbose: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === '--from') out.from = next();
      else if (a === '--protocol') out.protocol = next();
      else if (a === '--events') out.events = next();
      else if (a === '--link') out.link = next();
      else if (a === '--usb') out.usb = next();
      else if (a === '-v') out.verbose = true;
      else if (a === '-h' || a === '--help') return '';
      else return `unknown argument "${a}"`;
    } catch (e) {
      return (e as Error).message;
    }
  }
  if (!out.from) return '--from <dump.dev> is required';
  if (out.protocol && !SIMULATED_PROTOCOLS.includes(out.protocol.toLowerCase() as SimulatedProtocol)) {
    return `unknown protocol "${out.protocol}" (simulated: ${SIMULATED_PROTOCOLS.join(', ')})`;
  }
  return out;
}

const warnLater = (m: string) => void process.stderr.write(`nut simulate qx: ${m}\n`);

export default async function main(args: string[]): Promise<number> {
  const parsed = parseArgs(args);
  if (typeof parsed === 'string') {
    process.stderr.write(parsed ? `nut simulate qx: ${parsed}\n${USAGE}` : USAGE);
    return parsed ? 1 : 0;
  }
  let dump: Map<string, string>;
  try {
    dump = readDump(parsed.from!);
  } catch (e) {
    process.stderr.write(`nut simulate qx: cannot read ${parsed.from}: ${(e as Error).message}\n`);
    return 1;
  }
  const protocol = (parsed.protocol?.toLowerCase() as SimulatedProtocol | undefined) ?? protocolOfDump(dump);
  const device = new Q1Device(protocol, dump);
  const log = parsed.verbose ? (l: string) => process.stderr.write(`${l}\n`) : undefined;
  let write: (b: Buffer) => void = () => {};
  const server = new Q1Server(device, (b) => write(b), log);
  let close: () => Promise<void>;
  try {
    if (parsed.usb) {
      const usb = await serveOnVirtualUsb(parsed.usb, server, (hook) => (write = hook));
      server.onPlug = (plugged) => void (plugged ? usb.replug() : usb.unplug()).catch((e: Error) => warnLater(e.message));
      process.stdout.write(`${Object.entries(usb.env).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
      process.stderr.write(`simulating protocol ${protocol} behind a ${parsed.usb} bridge (${usb.vendorId}:${usb.productId})\n`);
      close = usb.stop;
    } else {
      const pty = await openPty(parsed.link);
      write = (b) => pty.write(b);
      pty.onData((b) => server.input(b));
      process.stdout.write(`${pty.path}\n`);
      process.stderr.write(`simulating protocol ${protocol}\n`);
      close = pty.close;
    }
  } catch (e) {
    process.stderr.write(`nut simulate qx: ${(e as Error).message}\n`);
    return 1;
  }
  const warn = warnLater;
  if (parsed.events) {
    const input = parsed.events === '-' ? process.stdin : createReadStream(parsed.events);
    void runScript(server, createInterface({ input }), warn).catch((e) => warn((e as Error).message));
  }
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await close();
  return 0;
}

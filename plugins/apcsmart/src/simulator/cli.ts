/**
 * `nut simulate apcsmart --from <dump.dev>`: an APC Smart-UPS on a pseudo-terminal (made by
 * socat). Prints the terminal path the driver should open as the first stdout line, then runs
 * until SIGTERM/SIGINT, taking events from stdin and/or a script file.
 */
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { readDump } from './dump.js';
import { EVENT_HELP, noiseBytes, runEvent, type EventTarget, type Faults } from './events.js';
import { PtyLine } from './pty.js';
import { SmartUps } from './unit.js';

const USAGE = `usage: nut simulate apcsmart --from <dump.dev> [options]

Runs an APC Smart-UPS (serial Smart protocol) built from a NUT device dump on a
pseudo-terminal; point apcsmart's 'port' at the path printed on the first line.
Needs socat (apt-get install socat).

  --from <file>        NUT dump (.dev, upsc output) of an apcsmart unit (required)
  --port <path>        where the terminal appears (default: a new temp dir/ttyS0)
  --script <file>      run these events in order (see below), then stdin's
  --no-stdin           do not read events from stdin
  --log <file>         log every byte received (RX) and sent (TX), with ms since start
  --commands <chars>   instant command bytes the unit offers (default @ADKSUWZ^N DEL)

${EVENT_HELP}
`;

interface Args {
  from?: string;
  port?: string;
  script?: string;
  log?: string;
  commands?: string;
  stdin: boolean;
  help: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { stdin: true, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '--from':
        a.from = value();
        break;
      case '--port':
        a.port = value();
        break;
      case '--script':
        a.script = value();
        break;
      case '--log':
        a.log = value();
        break;
      case '--commands':
        a.commands = value();
        break;
      case '--no-stdin':
        a.stdin = false;
        break;
      case '-h':
      case '--help':
        a.help = true;
        break;
      default:
        throw new Error(`unknown argument '${arg}'`);
    }
  }
  return a;
}

function printable(text: string): string {
  return [...text].map((c) => (c >= ' ' && c < '\x7f' ? c : `<${c.charCodeAt(0).toString(16).padStart(2, '0')}>`)).join('');
}

export default async function main(argv: string[]): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`nut simulate apcsmart: ${(e as Error).message}\n${USAGE}`);
    return 1;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!args.from) {
    process.stderr.write(`nut simulate apcsmart: --from <dump.dev> is required\n${USAGE}`);
    return 1;
  }
  const note = (t: string) => process.stderr.write(`apcsmart simulator: ${t}\n`);
  const t0 = Date.now();
  const logFile = args.log ? resolve(args.log) : undefined;
  if (logFile) writeFileSync(logFile, '');
  const log = (dir: 'RX' | 'TX', text: string) => {
    if (logFile) appendFileSync(logFile, `${Date.now() - t0} ${dir} ${printable(text)}\n`);
  };

  let dump;
  try {
    dump = readDump(args.from);
  } catch (e) {
    process.stderr.write(`nut simulate apcsmart: cannot read ${args.from}: ${(e as Error).message}\n`);
    return 1;
  }

  const faults: Faults = { silent: false, garbled: false, slowMs: 0 };
  let sendChain = Promise.resolve();
  let line: PtyLine;
  const sendRaw = (text: string) => {
    log('TX', text);
    line.write(Buffer.from(text, 'latin1'));
  };
  const unit = new SmartUps(
    dump,
    {
      send(text) {
        if (faults.silent || !line.plugged) return;
        const out = faults.garbled ? noiseBytes(text.length) : text;
        if (faults.slowMs > 0) {
          const delay = faults.slowMs;
          sendChain = sendChain.then(() => new Promise<void>((r) => setTimeout(r, delay))).then(() => sendRaw(out));
        } else {
          sendChain = sendChain.then(() => sendRaw(out));
        }
      },
      note,
    },
    { commands: args.commands },
  );
  for (const name of unit.unanswerable) note(`${name}: no APC Smart query gives this variable; not simulated`);

  const port = args.port ? resolve(args.port) : join(mkdtempSync(join(tmpdir(), 'apcsmart-sim-')), 'ttyS0');
  line = new PtyLine(
    port,
    (data) => {
      for (const b of data) {
        const ch = String.fromCharCode(b);
        log('RX', ch);
        unit.receive(ch);
      }
    },
    note,
  );
  try {
    await line.plug();
  } catch (e) {
    process.stderr.write(`nut simulate apcsmart: ${(e as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`${port}\n`);
  note(`${dump.get('ups.model') ?? 'Smart-UPS'} on ${port} (${line.device})`);

  const target: EventTarget = {
    unit,
    faults,
    sendRaw: (text) => {
      if (line.plugged) sendRaw(text);
    },
    unplug: async () => {
      await line.unplug();
      note('unplugged');
    },
    replug: async () => {
      if (line.plugged) return;
      await line.plug();
      note(`plugged in again (${line.device})`);
    },
  };
  let events = Promise.resolve();
  const queue = (text: string) => {
    events = events.then(async () => {
      const err = await runEvent(target, text).catch((e: Error) => e.message);
      if (err) note(err);
    });
  };
  if (args.script) {
    for (const l of readFileSync(args.script, 'utf8').split('\n')) queue(l);
  }
  if (args.stdin) {
    createInterface({ input: process.stdin }).on('line', queue);
  }

  return new Promise<number>((done) => {
    const stop = () => {
      unit.close();
      void line.unplug().then(() => done(0));
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

/** Output, exit and prompts for the NUT-compatible CLIs (upsc, upsrw, upscmd). */
import { userInfo } from 'node:os';
import { discardedCharMessage } from '../words.js';
import { AddressError, parseUpsName, type UpsAddress } from '../address.js';
import { NutClient } from '../client.js';

export const NUT_VERSION = '2.8.0';

/** Thrown to end the program with an exit code once output is flushed. */
export class Exit {
  constructor(readonly code: number) {}
}

export class CliOutput {
  private out = '';
  private err = '';
  stdout(s: string): void {
    this.out += s;
  }
  stderr(s: string): void {
    this.err += s;
  }
  /** fatalx(): message on stderr, then exit. */
  fatal(message: string, code = 1): never {
    this.err += message + '\n';
    throw new Exit(code);
  }
  async flush(): Promise<void> {
    const o = this.out;
    const e = this.err;
    this.out = '';
    this.err = '';
    if (o) await new Promise<void>((r) => process.stdout.write(o, 'latin1', () => r()));
    if (e) await new Promise<void>((r) => process.stderr.write(e, 'latin1', () => r()));
  }
}

/** Runs a CLI main and exits with its code after flushing its output. */
export function runCli(main: (out: CliOutput, args: string[]) => Promise<number>): void {
  // a closed pipe ends the program quietly, as SIGPIPE ends NUT's
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => process.exit(141));
  const out = new CliOutput();
  main(out, process.argv.slice(2))
    .catch((err: unknown) => {
      if (err instanceof Exit) return err.code;
      out.stderr(`Error: ${(err as Error)?.message ?? String(err)}\n`);
      return 1;
    })
    .then(async (code) => {
      await out.flush();
      process.exit(code);
    });
}

let stdinLines: string[] = [];
let stdinEnded = false;
let stdinBuffer = '';
let waiters: Array<() => void> = [];

let stdinStarted = false;

function startStdin(): void {
  if (stdinStarted) return;
  stdinStarted = true;
  process.stdin.setEncoding('latin1');
  process.stdin.on('data', (chunk: string) => {
    stdinBuffer += chunk;
    let nl: number;
    while ((nl = stdinBuffer.indexOf('\n')) >= 0) {
      stdinLines.push(stdinBuffer.slice(0, nl + 1));
      stdinBuffer = stdinBuffer.slice(nl + 1);
    }
    wake();
  });
  process.stdin.on('end', () => {
    if (stdinBuffer) stdinLines.push(stdinBuffer);
    stdinBuffer = '';
    stdinEnded = true;
    wake();
  });
}

function wake(): void {
  const w = waiters;
  waiters = [];
  for (const f of w) f();
}

/** fgets() on stdin: the line with its newline, or undefined at end of input. */
export async function readLine(): Promise<string | undefined> {
  startStdin();
  for (;;) {
    if (stdinLines.length) {
      const line = stdinLines.shift()!;
      if (!stdinLines.length && stdinEnded) process.stdin.pause();
      return line;
    }
    if (stdinEnded) return undefined;
    process.stdin.resume();
    await new Promise<void>((r) => waiters.push(r));
  }
}

/** getpass(): prompt on the terminal (stderr), no echo when stdin is a TTY. */
export async function readPassword(prompt: string): Promise<string | undefined> {
  process.stderr.write(prompt);
  const tty = process.stdin.isTTY;
  if (tty) process.stdin.setRawMode(true);
  try {
    if (!tty) return (await readLine())?.replace(/\r?\n$/, '');
    let pw = '';
    startStdin();
    for (;;) {
      const line = await readRaw();
      if (line === undefined) return pw;
      for (const ch of line) {
        if (ch === '\r' || ch === '\n') return pw;
        if (ch === '\u0003') throw new Exit(1);
        if (ch === '\u007f') pw = pw.slice(0, -1);
        else pw += ch;
      }
    }
  } finally {
    if (tty) {
      process.stdin.setRawMode(false);
      process.stderr.write('\n');
    }
  }
}

async function readRaw(): Promise<string | undefined> {
  for (;;) {
    if (stdinLines.length) return stdinLines.shift();
    if (stdinBuffer) {
      const b = stdinBuffer;
      stdinBuffer = '';
      return b;
    }
    if (stdinEnded) return undefined;
    process.stdin.resume();
    await new Promise<void>((r) => waiters.push(r));
  }
}

/** The login name NUT offers as the default user. */
export function loginName(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

/**
 * The `Username (<login>): ` prompt of upsrw/upscmd: an empty answer means the login name.
 * Returns undefined when stdin is closed without an answer and there is no login name.
 */
export async function promptUsername(out: CliOutput): Promise<string | undefined> {
  const login = loginName();
  out.stdout(login ? `Username (${login}): ` : 'Username: ');
  await out.flush();
  const line = await readLine();
  if (line !== undefined && line.length > 1) return line.slice(0, -1);
  return login;
}


/** Client options shared by the CLIs: discarded answer bytes are reported as NUT's clients do. */
export function cliClientOptions(out: CliOutput): { onDroppedChar: (byte: number) => void } {
  return { onDroppedChar: (byte) => out.stderr(discardedCharMessage(byte) + '\n') };
}

/**
 * upsrw and upscmd: parse `ups[@host[:port]]` and connect, ending the program with NUT's
 * messages when either fails.
 */
export async function connectToUps(out: CliOutput, name: string): Promise<{ addr: UpsAddress; client: NutClient }> {
  let addr: UpsAddress;
  try {
    addr = parseUpsName(name);
  } catch (err) {
    if (err instanceof AddressError) out.stderr(err.message + '\n');
    out.fatal('Error: invalid UPS definition.  Required format: upsname[@hostname[:port]]');
  }
  const client = new NutClient({ host: addr.host, port: addr.port, ...cliClientOptions(out) });
  try {
    await client.connect();
  } catch (err) {
    out.fatal(`Error: ${(err as Error).message}`);
  }
  return { addr, client };
}

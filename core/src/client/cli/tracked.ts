/** The common tail of upsrw and upscmd: log in, optionally enable tracking, send, report. */
import type { NutClient } from '../client.js';
import { CliOutput, readPassword } from './io.js';

export interface Credentials {
  username: string;
  password: string;
}

export async function askPassword(out: CliOutput, given: string | undefined): Promise<string> {
  if (given !== undefined) return given;
  const pw = await readPassword('Password: ');
  if (pw === undefined) out.fatal('getpass failed: Inappropriate ioctl for device');
  return pw;
}

/** Sends USERNAME and PASSWORD; only a lost connection is fatal (answers are not checked). */
export async function sendCredentials(out: CliOutput, client: NutClient, c: Credentials): Promise<void> {
  await client.command(`USERNAME ${c.username}`).catch((err: Error) => {
    out.fatal(`Set username failed: ${err.message}`);
  });
  await client.command(`PASSWORD ${c.password}`).catch((err: Error) => {
    out.fatal(`Set password failed: ${err.message}`);
  });
}

export async function enableTracking(out: CliOutput, client: NutClient, what: string): Promise<void> {
  const answer = await client.command('SET TRACKING ON').catch((err: Error) => {
    out.fatal(`Enabling ${what} status tracking failed: ${err.message}`);
  });
  if (!answer.startsWith('OK')) out.fatal(`Enabling ${what} status tracking failed. upsd answered: ${answer}`);
}

const TRACKING_PREFIX = 'OK TRACKING ';
const UUID_LENGTH = 36;

export interface Outcome {
  /** The line NUT prints on stderr (the OK answer or the final tracking status). */
  line: string;
  trackingId?: string;
}

/**
 * Sends the SET/INSTCMD line and reports as NUT does: a non-OK answer is fatal; with
 * tracking, GET TRACKING is polled once a second until the answer is not PENDING.
 */
export async function sendTracked(
  out: CliOutput,
  client: NutClient,
  line: string,
  tracking: boolean,
  timeoutSeconds: number,
  failures: { send: string; read: string },
): Promise<Outcome> {
  const answer = await client.command(line).catch((err: Error) => {
    out.fatal(`${failures.read}: ${err.message}`);
  });
  if (!answer.startsWith('OK')) out.fatal(`Unexpected response from upsd: ${answer}`);
  if (!tracking || answer.length !== TRACKING_PREFIX.length + UUID_LENGTH) return { line: answer };
  const id = answer.slice(TRACKING_PREFIX.length);
  const start = Math.floor(Date.now() / 1000);
  for (;;) {
    if (Math.floor(Date.now() / 1000) - start >= timeoutSeconds) {
      out.fatal("Can't receive status tracking information: timeout");
    }
    const status = await client.command(`GET TRACKING ${id}`).catch((err: Error) => {
      out.fatal(`Can't receive status tracking information: ${err.message}`);
    });
    if (!status.startsWith('PENDING')) return { line: status, trackingId: id };
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** `-t` value as str_to_uint accepts it. */
export function parseTimeout(out: CliOutput, text: string): number {
  if (!/^\s*\+?\d+$/.test(text) || Number(text) > 0xffffffff) {
    out.fatal(
      "Could not convert the provided value for timeout ('-t' option) to unsigned int: Invalid argument",
    );
  }
  return Number(text);
}

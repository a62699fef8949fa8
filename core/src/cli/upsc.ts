#!/usr/bin/env node
/**
 * upsc: NUT 2.8.0's flags, output and messages (reference/clients.md §1); `--json` added.
 *   upsc -l | -L [host[:port]]   upsc <ups> [<var>]   upsc -c <ups>
 */
import { AddressError, NutClient, NutError, parseHostPort, parseUpsName } from '../client/index.js';
import type { HostAddress, UpsAddress } from '../client/index.js';
import { getopt, takeJsonFlag } from '../client/cli/getopt.js';
import { CliOutput, NUT_VERSION, cliClientOptions, isMain, runCli } from '../client/cli/io.js';
import { USAGE_UPSC } from '../client/cli/usage.js';

export async function upsc(out: CliOutput, argv: string[]): Promise<number> {
  const { json, args } = takeJsonFlag(argv);
  const { options, rest } = getopt(args, '+hlLcV', 'upsc', (s) => out.stderr(s));
  let varlist = false;
  let verbose = false;
  let clientlist = false;
  for (const { opt } of options) {
    if (opt === 'L') {
      verbose = true;
      varlist = true;
    } else if (opt === 'l') varlist = true;
    else if (opt === 'c') clientlist = true;
    else if (opt === 'V') out.fatal(`Network UPS Tools upscmd ${NUT_VERSION}`, 0);
    else {
      out.stdout(USAGE_UPSC);
      return 0;
    }
  }

  let addr: HostAddress | UpsAddress;
  try {
    addr = varlist ? parseHostPort(rest[0] ?? 'localhost') : parseUps(rest[0]);
  } catch (err) {
    if (err instanceof AddressError && err.message) out.stderr(err.message + '\n');
    out.fatal(
      varlist
        ? 'Error: invalid hostname.\nRequired format: [hostname[:port]]'
        : 'Error: invalid UPS definition.\nRequired format: upsname[@hostname[:port]]',
    );
  }

  const client = new NutClient({ host: addr.host, port: addr.port, tls: 'try', ...cliClientOptions(out) });
  try {
    await client.connect();
  } catch (err) {
    // the STARTTLS exchange failed: libupsclient logs this before the error itself
    if (err instanceof NutError && (err.code === 'SERVER-DISCONNECTED' || err.code === 'TIMEOUT')) {
      out.stderr(`Error while connecting to NUT server ${addr.host}, disconnect\n`);
    }
    out.fatal(`Error: ${(err as Error).message}`);
  }
  try {
    if (varlist) {
      const upses = await listOrDie(out, client.listUps());
      if (json) out.stdout(JSON.stringify(verbose ? upses : upses.map((u) => u.name), null, 2) + '\n');
      else for (const u of upses) out.stdout(verbose ? `${u.name}: ${u.description}\n` : `${u.name}\n`);
      return 0;
    }
    const ups = (addr as UpsAddress).ups;
    if (clientlist) {
      const clients = await listOrDie(out, client.listClients(ups));
      if (json) out.stdout(JSON.stringify(clients, null, 2) + '\n');
      else for (const c of clients) out.stdout(`${c}\n`);
      return 0;
    }
    if (rest.length > 1) {
      const name = rest[1];
      if (!name.includes('.')) out.fatal('Error: old-style variable names are not supported');
      let value: string;
      try {
        value = await client.getVar(ups, name);
      } catch (err) {
        if (err instanceof NutError && err.code === 'UNKNOWN-COMMAND') {
          out.fatal('Error: variable unknown (old upsd detected)');
        }
        out.fatal(`Error: ${(err as Error).message}`);
      }
      out.stdout(json ? JSON.stringify({ [name]: value }, null, 2) + '\n' : `${value}\n`);
      return 0;
    }
    const vars = await listOrDie(out, client.listVar(ups));
    if (json) out.stdout(JSON.stringify(Object.fromEntries(vars.map((v) => [v.name, v.value])), null, 2) + '\n');
    else for (const v of vars) out.stdout(`${v.name}: ${v.value}\n`);
    return 0;
  } finally {
    client.close();
  }
}

function parseUps(spec: string | undefined): UpsAddress {
  // libupsclient rejects a missing argument without a message of its own
  if (spec === undefined) throw new AddressError('');
  return parseUpsName(spec);
}

/** A LIST that failed to start ends the program as NUT's clients do. */
export async function listOrDie<T>(out: CliOutput, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof NutError && err.code === 'UNKNOWN-COMMAND') {
      out.fatal('Error: upsd is too old to support this query');
    }
    out.fatal(`Error: ${(err as Error).message}`);
  }
}

if (isMain(import.meta.url)) runCli(upsc);

#!/usr/bin/env node
/**
 * upsc: NUT 2.8.0's flags, output and messages (reference/clients.md §1); `--json` added.
 *   upsc -l | -L [host[:port]]   upsc <ups> [<var>]   upsc -c <ups>
 */
import { isMainModule as isMain } from './main-module.js';
import { AddressError, NutClient, NutError, parseHostPort, parseUpsName } from '../client/index.js';
import type { HostAddress, UpsAddress } from '../client/index.js';
import { getopt, takeJsonFlag } from '../client/cli/getopt.js';
import { CliOutput, NUT_VERSION, cliClientOptions, runCli } from '../client/cli/io.js';
import { USAGE_UPSC } from '../client/cli/usage.js';
import { listItems, needWords } from '../client/cli/lists.js';

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
      const upses: Array<{ name: string; description: string }> = [];
      for (const w of await listItems(out, client.list(['UPS']))) {
        needWords(out, w, 3);
        upses.push({ name: w[1], description: w[2] });
        if (!json) out.stdout(verbose ? `${w[1]}: ${w[2]}\n` : `${w[1]}\n`);
      }
      if (json) out.stdout(JSON.stringify(verbose ? upses : upses.map((u) => u.name), null, 2) + '\n');
      return 0;
    }
    const ups = (addr as UpsAddress).ups;
    if (clientlist) {
      const clients: string[] = [];
      for (const w of await listItems(out, client.list(['CLIENT', ups]))) {
        needWords(out, w, 3);
        clients.push(w[2]);
        if (!json) out.stdout(`${w[2]}\n`);
      }
      if (json) out.stdout(JSON.stringify(clients, null, 2) + '\n');
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
    const vars: Record<string, string> = {};
    for (const w of await listItems(out, client.list(['VAR', ups]))) {
      needWords(out, w, 4);
      vars[w[2]] = w[3];
      if (!json) out.stdout(`${w[2]}: ${w[3]}\n`);
    }
    if (json) out.stdout(JSON.stringify(vars, null, 2) + '\n');
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

if (isMain(import.meta.url)) runCli(upsc);

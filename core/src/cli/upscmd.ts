#!/usr/bin/env node
/**
 * upscmd: NUT 2.8.0's flags, prompts, output and messages (reference/clients.md §3);
 * `--json` added.
 *   upscmd -l <ups>
 *   upscmd [-u user] [-p pass] [-w] [-t timeout] <ups> <command> [<value>]
 */
import { isMainModule as isMain } from './main-module.js';
import { NutClient } from '../client/index.js';
import { getopt, takeJsonFlag } from '../client/cli/getopt.js';
import { CliOutput, NUT_VERSION, connectToUps, promptUsername, runCli } from '../client/cli/io.js';
import { askPassword, enableTracking, parseTimeout, sendCredentials, sendTracked } from '../client/cli/tracked.js';
import { USAGE_UPSCMD } from '../client/cli/usage.js';
import { listItems, needWords } from '../client/cli/lists.js';

export async function upscmd(out: CliOutput, argv: string[]): Promise<number> {
  const { json, args } = takeJsonFlag(argv);
  const { options, rest } = getopt(args, '+lhu:p:t:wV', 'upscmd', (s) => out.stderr(s));
  let cmdlist = false;
  let username: string | undefined;
  let password: string | undefined;
  let tracking = false;
  let timeout = 10;
  for (const { opt, arg } of options) {
    if (opt === 'l') cmdlist = true;
    else if (opt === 'u') username = arg;
    else if (opt === 'p') password = arg;
    else if (opt === 't') timeout = parseTimeout(out, arg ?? '');
    else if (opt === 'w') tracking = true;
    else if (opt === 'V') out.fatal(`Network UPS Tools upscmd ${NUT_VERSION}`, 0);
    else {
      out.stdout(USAGE_UPSCMD);
      return 0;
    }
  }
  if (rest.length < 1) {
    out.stdout(USAGE_UPSCMD);
    return 0;
  }

  const { addr, client } = await connectToUps(out, rest[0]);
  try {
    if (cmdlist) {
      await listCommands(out, client, addr.ups, json);
      return 0;
    }
    if (rest.length < 2) {
      out.stdout(USAGE_UPSCMD);
      return 0;
    }
    const cmd = rest[1];
    if (!cmd.includes('.')) out.fatal('Error: old command names are not supported');
    const user = username ?? (await promptUsername(out));
    if (user === undefined) out.fatal('No username available - even tried getpwuid');
    const pass = await askPassword(out, password);
    await sendCredentials(out, client, { username: user, password: pass });
    if (tracking) await enableTracking(out, client, 'command');
    // the value goes to upsd as typed: neither quoted nor escaped (as upscmd 2.8.0 does)
    const line = rest.length > 2 ? `INSTCMD ${addr.ups} ${cmd} ${rest[2]}` : `INSTCMD ${addr.ups} ${cmd}`;
    const result = await sendTracked(out, client, line, tracking, timeout, {
      send: "Can't send instant command",
      read: 'Instant command failed',
    });
    if (json) {
      const report = { ups: addr.ups, command: cmd, value: rest[2], result: result.line, tracking: result.trackingId };
      out.stdout(JSON.stringify(report, null, 2) + '\n');
    } else out.stderr(result.line + '\n');
    return 0;
  } finally {
    client.close();
  }
}

async function listCommands(out: CliOutput, client: NutClient, ups: string, json: boolean): Promise<void> {
  const cmds: string[] = [];
  for (const w of await listItems(out, client.list(['CMD', ups]))) {
    needWords(out, w, 3);
    cmds.push(w[2]);
  }
  // pipelined: every GET CMDDESC is sent at once, answers come back in order
  const described = await Promise.all(
    cmds.map(async (name) => ({ name, description: await client.getCmdDesc(ups, name).catch(() => undefined) })),
  );
  if (json) {
    out.stdout(JSON.stringify(described, null, 2) + '\n');
    return;
  }
  out.stdout(`Instant commands supported on UPS [${ups}]:\n\n`);
  for (const c of described) out.stdout(c.description === undefined ? `${c.name}\n` : `${c.name} - ${c.description}\n`);
}

if (isMain(import.meta.url)) runCli(upscmd);

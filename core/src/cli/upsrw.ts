#!/usr/bin/env node
/**
 * upsrw: NUT 2.8.0's flags, prompts, output and messages (reference/clients.md §2);
 * `--json` added.
 *   upsrw [-s <var>[=<value>]] [-u user] [-p pass] [-w] [-t timeout] [-l] <ups>
 */
import { isMainModule as isMain } from './main-module.js';
import { NutClient, atoi } from '../client/index.js';
import { getopt, takeJsonFlag } from '../client/cli/getopt.js';
import { CliOutput, NUT_VERSION, connectToUps, promptUsername, readLine, runCli } from '../client/cli/io.js';
import { askPassword, enableTracking, parseTimeout, sendCredentials, sendTracked } from '../client/cli/tracked.js';
import { USAGE_UPSRW } from '../client/cli/usage.js';
import { listItems, needWords } from '../client/cli/lists.js';

/** One writable variable as `upsrw --json` reports it. */
export interface RwVariable {
  name: string;
  description: string;
  /** STRING, NUMBER, ENUM or RANGE; absent when the type is unknown. */
  type?: string;
  /** For ENUM: STRING or NUMBER (when the server says). */
  valueType?: string;
  maxLength?: number;
  value?: string;
  options?: string[];
  ranges?: Array<{ min: number; max: number }>;
}

export async function upsrw(out: CliOutput, argv: string[]): Promise<number> {
  const { json, args } = takeJsonFlag(argv);
  const { options, rest } = getopt(args, '+hls:p:t:u:wV', 'upsrw', (s) => out.stderr(s));
  let setvar: string | undefined;
  let username: string | undefined;
  let password: string | undefined;
  let tracking = false;
  let timeout = 10;
  for (const { opt, arg } of options) {
    if (opt === 's') setvar = arg;
    else if (opt === 'l') {
      if (setvar !== undefined) {
        out.stderr('Listing mode requested, overriding setvar specified earlier!\n');
        setvar = undefined;
      }
    } else if (opt === 'p') password = arg;
    else if (opt === 't') timeout = parseTimeout(out, arg ?? '');
    else if (opt === 'u') username = arg;
    else if (opt === 'w') tracking = true;
    else if (opt === 'V') {
      out.stdout(`Network UPS Tools upsrw ${NUT_VERSION}\n`);
      return 0;
    } else {
      out.stdout(USAGE_UPSRW);
      return 0;
    }
  }
  if (rest.length < 1) {
    out.stdout(USAGE_UPSRW);
    return 0;
  }

  const { addr, client } = await connectToUps(out, rest[0]);
  try {
    if (setvar !== undefined) await doSetvar(out, client, addr.ups, setvar, username, password, tracking, timeout, json);
    else await printRwList(out, client, addr.ups, json);
    return 0;
  } finally {
    client.close();
  }
}

async function doSetvar(
  out: CliOutput,
  client: NutClient,
  ups: string,
  setvar: string,
  userGiven: string | undefined,
  passGiven: string | undefined,
  tracking: boolean,
  timeout: number,
  json: boolean,
): Promise<void> {
  const username = userGiven ?? (await promptUsername(out));
  if (username === undefined) out.fatal('No username available - even tried getpwuid');
  const password = await askPassword(out, passGiven);
  let varname = setvar;
  let value: string;
  const eq = setvar.indexOf('=');
  if (eq >= 0) {
    varname = setvar.slice(0, eq);
    value = setvar.slice(eq + 1);
  } else {
    out.stdout(`Enter new value for ${varname}: `);
    await out.flush();
    value = ((await readLine()) ?? '\n').slice(0, -1);
  }
  await sendCredentials(out, client, { username, password });
  if (!varname.includes('.')) out.fatal('Error: old variable names are not supported');
  if (tracking) await enableTracking(out, client, 'set variable');
  const line = `SET VAR ${ups} ${varname} "${value.replace(/[\\"#]/g, (c) => '\\' + c)}"`;
  const result = await sendTracked(out, client, line, tracking, timeout, {
    send: "Can't set variable",
    read: 'Set variable failed',
  });
  if (json) {
    out.stdout(JSON.stringify({ ups, variable: varname, value, result: result.line, tracking: result.trackingId }, null, 2) + '\n');
  } else out.stderr(result.line + '\n');
}

async function printRwList(out: CliOutput, client: NutClient, ups: string, json: boolean): Promise<void> {
  const names: string[] = [];
  for (const w of await listItems(out, client.list(['RW', ups]))) {
    needWords(out, w, 4);
    names.push(w[2]);
  }
  const q = new Prefetch(client, ups);
  await q.prefetch(names);
  const result: RwVariable[] = [];
  for (const name of names) {
    const v: RwVariable = { name, description: '' };
    result.push(v);
    if (!json) out.stdout(`[${name}]\n`);
    v.description = await q.desc(name).catch(() => 'Description unavailable');
    if (!json) out.stdout(`${v.description}\n`);
    await describeType(out, q, v, json);
    if (!json) out.stdout('\n');
  }
  if (json) out.stdout(JSON.stringify(result, null, 2) + '\n');
}

/**
 * The queries of the listing, each sent once; prefetch() sends them all ahead (pipelined),
 * the listing then consumes the answers in NUT's order, so output and failures stay NUT's.
 */
class Prefetch {
  private readonly memo = new Map<string, Promise<unknown>>();

  constructor(
    private readonly client: NutClient,
    private readonly ups: string,
  ) {}

  private once<T>(key: string, send: () => Promise<T>): Promise<T> {
    let p = this.memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = send();
      p.catch(() => undefined);
      this.memo.set(key, p);
    }
    return p;
  }

  desc(name: string): Promise<string> {
    return this.once(`DESC ${name}`, () => this.client.getDesc(this.ups, name));
  }
  type(name: string): Promise<string[]> {
    return this.once(`TYPE ${name}`, () => this.client.getType(this.ups, name));
  }
  value(name: string): Promise<string> {
    return this.once(`VAR ${name}`, () => this.client.getVar(this.ups, name));
  }
  enums(name: string): Promise<string[][]> {
    return this.once(`ENUM ${name}`, () => this.client.list(['ENUM', this.ups, name]));
  }
  ranges(name: string): Promise<string[][]> {
    return this.once(`RANGE ${name}`, () => this.client.list(['RANGE', this.ups, name]));
  }

  async prefetch(names: string[]): Promise<void> {
    for (const n of names) {
      void this.desc(n);
      void this.type(n);
    }
    for (const n of names) {
      const words = await this.type(n).catch(() => undefined);
      if (!words) continue;
      const upper = words.map((w) => w.toUpperCase());
      void this.value(n);
      if (upper.includes('RANGE')) void this.ranges(n);
      else if (upper.includes('ENUM')) void this.enums(n);
    }
  }
}

/** NUT's do_type(): scans the TYPE words left to right. */
async function describeType(out: CliOutput, q: Prefetch, v: RwVariable, json: boolean): Promise<void> {
  const print = (s: string): void => {
    if (!json) out.stdout(s);
  };
  let words: string[];
  try {
    words = await q.type(v.name);
  } catch {
    print('Unknown type\n');
    return;
  }
  let isEnum = false;
  for (const w of words) {
    const upper = w.toUpperCase();
    if (upper === 'ENUM') {
      isEnum = true;
      continue;
    }
    if (upper === 'RANGE') return showRange(out, q, v, print);
    if (upper.startsWith('STRING:')) {
      const length = atoi(w.slice(7));
      if (isEnum) return showEnum(out, q, v, 'STRING', length, print);
      const value = await currentValue(out, q, v.name, 'do_string');
      Object.assign(v, { type: 'STRING', maxLength: length, value });
      print(`Type: STRING\nMaximum length: ${length}\nValue: ${value}\n`);
      return;
    }
    if (upper === 'NUMBER') {
      if (isEnum) return showEnum(out, q, v, 'NUMBER', 0, print);
      const value = await currentValue(out, q, v.name, 'do_number');
      Object.assign(v, { type: 'NUMBER', value });
      print(`Type: NUMBER\nValue: ${value}\n`);
      return;
    }
    if (upper === 'RW') continue;
    print(`Type: ${w} (unrecognized)\n`);
  }
  if (isEnum) return showEnum(out, q, v, undefined, 0, print);
}

async function currentValue(out: CliOutput, q: Prefetch, name: string, fn: string): Promise<string> {
  try {
    return await q.value(name);
  } catch {
    out.fatal(`${fn}: can't get current value of ${name}`);
  }
}

async function showEnum(
  out: CliOutput,
  q: Prefetch,
  v: RwVariable,
  valueType: 'STRING' | 'NUMBER' | undefined,
  length: number,
  print: (s: string) => void,
): Promise<void> {
  const value = await currentValue(out, q, v.name, 'do_enum');
  const items = await listItems(out, q.enums(v.name), false);
  const options: string[] = [];
  Object.assign(v, { type: 'ENUM', valueType, value, options });
  print(valueType ? `Type: ENUM ${valueType}\n` : 'Type: ENUM\n');
  if (valueType === 'STRING') {
    v.maxLength = length;
    print(`Maximum length: ${length}\n`);
  }
  for (const w of items) {
    needWords(out, w, 4);
    options.push(w[3]);
    print(`Option: "${w[3]}"${w[3] === value ? ' SELECTED' : ''}\n`);
  }
}

async function showRange(
  out: CliOutput,
  q: Prefetch,
  v: RwVariable,
  print: (s: string) => void,
): Promise<void> {
  const value = await currentValue(out, q, v.name, 'do_range');
  const current = atoi(value);
  const items = await listItems(out, q.ranges(v.name), false);
  const ranges: Array<{ min: number; max: number }> = [];
  Object.assign(v, { type: 'RANGE', valueType: 'NUMBER', value, ranges });
  print('Type: RANGE NUMBER\n');
  for (const w of items) {
    needWords(out, w, 5, 4); // (sic) upsrw 2.8.0 says "need at least 4" here
    const r = { min: atoi(w[3]), max: atoi(w[4]) };
    ranges.push(r);
    print(`Option: "${r.min}-${r.max}"${current >= r.min && current <= r.max ? ' SELECTED' : ''}\n`);
  }
}

if (isMain(import.meta.url)) runCli(upsrw);

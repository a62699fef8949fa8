/**
 * Human descriptions of the standard variable and command names (GET DESC / GET CMDDESC),
 * in our own words, from descriptions.json. Names in the data may hold placeholders:
 * `{n}` for a numeric index segment (outlet.{n}.id), `{phase}` for a three-phase context
 * (input.{phase}.current: L1, L2-N…), and a final `*` for any remainder
 * (driver.parameter.*). The same placeholders in a text are replaced by what they matched.
 * Daisy-chained names (`device.{n}.<name>`) are described as the name they repeat.
 * Names match case-insensitively, as upsd's cmdvartab lookup does.
 */
import { readFileSync } from 'node:fs';

interface DescriptionData {
  variables: Record<string, string>;
  commands: Record<string, string>;
}

const PHASE_CONTEXTS = new Set(['L1', 'L2', 'L3', 'N', 'L1-L2', 'L2-L3', 'L3-L1', 'L1-N', 'L2-N', 'L3-N']);

class DescriptionTable {
  private readonly exact = new Map<string, string>();
  private readonly wildcards: Array<[prefix: string, text: string]> = [];

  constructor(entries: Record<string, string>) {
    for (const [name, text] of Object.entries(entries)) {
      const key = name.toLowerCase();
      if (key.endsWith('.*')) this.wildcards.push([key.slice(0, -1), text]);
      else this.exact.set(key, text);
    }
    this.wildcards.sort((a, b) => b[0].length - a[0].length);
  }

  lookup(name: string): string | undefined {
    const lower = name.toLowerCase();
    const direct = this.exact.get(lower);
    if (direct !== undefined) return direct;
    const templated = this.templated(name);
    if (templated !== undefined) return templated;
    for (const [prefix, text] of this.wildcards) {
      if (lower.length > prefix.length && lower.startsWith(prefix)) return text.replaceAll('{x}', name.slice(prefix.length));
    }
    return undefined;
  }

  /** Replaces numeric segments by {n} and phase contexts by {phase}, then looks up. */
  private templated(name: string): string | undefined {
    const numbers: string[] = [];
    let phase: string | undefined;
    const segments = name.split('.').map((s) => {
      if (/^\d+$/.test(s)) {
        numbers.push(s);
        return '{n}';
      }
      if (PHASE_CONTEXTS.has(s.toUpperCase()) && phase === undefined) {
        phase = s;
        return '{phase}';
      }
      return s.toLowerCase();
    });
    if (numbers.length === 0 && phase === undefined) return undefined;
    const text = this.exact.get(segments.join('.'));
    if (text === undefined) return undefined;
    let i = 0;
    return text.replace(/\{n\}/g, () => numbers[i++] ?? '').replaceAll('{phase}', phase ?? '');
  }
}

let tables: { variables: DescriptionTable; commands: DescriptionTable } | undefined;

function load(): { variables: DescriptionTable; commands: DescriptionTable } {
  if (!tables) {
    // the data lives beside the sources; from dist/ the same relative path reaches src/
    const url = new URL('../../src/dstate/descriptions.json', import.meta.url);
    const data = JSON.parse(readFileSync(url, 'utf8')) as DescriptionData;
    tables = { variables: new DescriptionTable(data.variables), commands: new DescriptionTable(data.commands) };
  }
  return tables;
}

const DAISYCHAIN = /^device\.(\d+)\.(.+)$/i;

/** Description of a variable name, or undefined when it is not a standard name. */
export function describeVar(name: string): string | undefined {
  const t = load().variables;
  const own = t.lookup(name);
  if (own !== undefined) return own;
  const m = DAISYCHAIN.exec(name);
  if (!m) return undefined;
  const inner = t.lookup(m[2]) ?? t.lookup(`device.${m[2]}`);
  return inner === undefined ? undefined : `Device ${m[1]}: ${inner}`;
}

/** Description of an instant command name, or undefined when it is not a standard name. */
export function describeCmd(name: string): string | undefined {
  const t = load().commands;
  const own = t.lookup(name);
  if (own !== undefined) return own;
  const m = DAISYCHAIN.exec(name);
  if (!m) return undefined;
  const inner = t.lookup(m[2]);
  return inner === undefined ? undefined : `Device ${m[1]}: ${inner}`;
}

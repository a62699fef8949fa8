/**
 * Answers per device, built once and reused until the device's tree changes: whole LIST VAR /
 * LIST RW / LIST CMD answers (a change event, or a new sorted array after clear()), and each
 * GET VAR answer as encoded bytes, kept per spelling of UPS and variable name (the answer
 * echoes both) and valid while the variable's node and value are the ones it was built from.
 */
import type { Device } from '../dstate/device.js';
import type { VarNode } from '../dstate/tree.js';
import { FLAG_RW } from '../dstate/ops.js';
import { clip, encodeBounded } from './protocol.js';

interface VarAnswer {
  node: VarNode;
  value: string;
  bytes: Buffer;
}

/** Distinct (UPS, variable) spellings cached per device before the cache starts over. */
const VAR_ANSWERS_MAX = 4096;

interface Cached {
  echo: string;
  version: number;
  basis: unknown;
  fsd: boolean;
  text: string;
}

export class DeviceListings {
  private version = 0;
  private readonly unsubscribe: () => void;
  private vars: Cached | undefined;
  private rw: Cached | undefined;
  private cmds: Cached | undefined;
  private readonly varAnswers = new Map<string, Map<string, VarAnswer>>();
  private varAnswerCount = 0;

  constructor(private readonly device: Device) {
    this.unsubscribe = device.tree.onChange(() => {
      this.version++;
    });
  }

  dispose(): void {
    this.unsubscribe();
  }

  private fresh(c: Cached | undefined, echo: string, basis: unknown, fsd: boolean): c is Cached {
    return c !== undefined && c.version === this.version && c.basis === basis && c.echo === echo && c.fsd === fsd;
  }

  /**
   * GET VAR's answer for a variable, echoing the request's spellings; undefined when the
   * variable does not exist. With the FSD latch set, ups.status is built each time.
   */
  varAnswer(echoUps: string, name: string, fsd: boolean): Buffer | string | undefined {
    const node = this.device.tree.get(name);
    if (!node) return undefined;
    if (fsd && name.toLowerCase() === 'ups.status') {
      return clip(`VAR ${echoUps} ${name} "FSD ${encodeBounded(node.value)}"\n`);
    }
    let byName = this.varAnswers.get(echoUps);
    const hit = byName?.get(name);
    if (hit !== undefined && hit.node === node && hit.value === node.value) return hit.bytes;
    const bytes = Buffer.from(clip(`VAR ${echoUps} ${name} "${encodeBounded(node.value)}"\n`));
    if (!byName) {
      byName = new Map();
      this.varAnswers.set(echoUps, byName);
    }
    if (hit === undefined && ++this.varAnswerCount > VAR_ANSWERS_MAX) {
      // clients spelling names in ever new ways: start over rather than grow
      this.varAnswers.clear();
      this.varAnswerCount = 1;
      this.varAnswers.set(echoUps, byName);
      byName.clear();
    }
    byName.set(name, { node, value: node.value, bytes });
    return bytes;
  }

  listVar(echo: string, fsd: boolean): string {
    const list = this.device.tree.list();
    if (this.fresh(this.vars, echo, list, fsd)) return this.vars.text;
    let text = `BEGIN LIST VAR ${echo}\n`;
    const prefix = `VAR ${echo} `;
    for (const node of list) {
      const value = encodeBounded(node.value);
      const status = fsd && node.name.toLowerCase() === 'ups.status';
      text += clip(`${prefix}${node.name} "${status ? 'FSD ' : ''}${value}"\n`);
    }
    text += `END LIST VAR ${echo}\n`;
    this.vars = { echo, version: this.version, basis: list, fsd, text };
    return text;
  }

  listRw(echo: string): string {
    const list = this.device.tree.list();
    if (this.fresh(this.rw, echo, list, false)) return this.rw.text;
    let text = `BEGIN LIST RW ${echo}\n`;
    for (const node of list) {
      if (node.flags & FLAG_RW) text += clip(`RW ${echo} ${node.name} "${encodeBounded(node.value)}"\n`);
    }
    text += `END LIST RW ${echo}\n`;
    this.rw = { echo, version: this.version, basis: list, fsd: false, text };
    return text;
  }

  listCmd(echo: string): string {
    const cmds = this.device.tree.commands();
    if (this.fresh(this.cmds, echo, cmds, false)) return this.cmds.text;
    let text = `BEGIN LIST CMD ${echo}\n`;
    for (const c of cmds) text += clip(`CMD ${echo} ${c}\n`);
    text += `END LIST CMD ${echo}\n`;
    this.cmds = { echo, version: this.version, basis: cmds, fsd: false, text };
    return text;
  }
}

/**
 * Whole LIST VAR / LIST RW / LIST CMD answers per device, built once and reused until the
 * device's tree changes (a change event, or a new sorted array after clear()). Serving a
 * cached listing costs one Map lookup and one string compare.
 */
import type { Device } from '../dstate/device.js';
import { FLAG_RW } from '../dstate/ops.js';
import { clip, encodeBounded } from './protocol.js';

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

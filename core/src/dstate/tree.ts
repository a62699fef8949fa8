/**
 * A device's state tree with NUT's semantics (common/state.c): case-insensitive names that
 * keep the case of their first SETINFO, case-insensitive "no change" detection, enums and
 * ranges in insertion order (with NUT's range duplicate rule), commands sorted without
 * duplicates, IMMUTABLE variables that ignore SETINFO/DELINFO. Every effective change is
 * reported to the listeners as a DstateOp, so servers can push instead of poll.
 */
import { encodeValue } from '../config/parseconf.js';
import { FLAG_IMMUTABLE, type DstateOp } from './ops.js';

export interface VarRange {
  min: number;
  max: number;
}

export interface VarNode {
  /** Name as first set. */
  readonly name: string;
  /** Raw value. */
  value: string;
  flags: number;
  aux: number;
  /** Enum values, pconf-encoded as NUT stores them. */
  enums: string[];
  ranges: VarRange[];
}

export type TreeListener = (op: DstateOp) => void;

/**
 * What a name or value may hold: NUT's upsd reads every driver line through parseconf, which
 * drops each byte outside 0x20-0x7F (CVE-2012-2944), so no client of NUT ever receives a
 * control character. Every way into the tree passes here, whatever the driver sent.
 */
export function wireText(text: string): string {
  return /[^\x20-\x7f]/.test(text) ? text.replace(/[^\x20-\x7f]/g, '') : text;
}

/** ASCII case-insensitive byte order, as strcasecmp: no locale collation. */
export function compareNames(a: string, b: string): number {
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  return la < lb ? -1 : la > lb ? 1 : 0;
}

export class StateTree {
  private readonly vars = new Map<string, VarNode>();
  private sortedCache: VarNode[] | null = null;
  private readonly cmds = new Map<string, string>();
  private sortedCmdCache: string[] | null = null;
  private readonly listeners = new Set<TreeListener>();
  /** Data freshness as last signalled (DATAOK/DATASTALE); a new tree is stale. */
  stale = true;

  onChange(listener: TreeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(op: DstateOp): void {
    for (const l of this.listeners) l(op);
  }

  get size(): number {
    return this.vars.size;
  }

  get(name: string): VarNode | undefined {
    return this.vars.get(name.toLowerCase());
  }

  getValue(name: string): string | undefined {
    return this.vars.get(name.toLowerCase())?.value;
  }

  has(name: string): boolean {
    return this.vars.has(name.toLowerCase());
  }

  /** Variables in NUT's listing order (case-insensitive ASCII). */
  list(): readonly VarNode[] {
    if (!this.sortedCache) {
      this.sortedCache = [...this.vars.values()].sort((a, b) => compareNames(a.name, b.name));
    }
    return this.sortedCache;
  }

  commands(): readonly string[] {
    if (!this.sortedCmdCache) this.sortedCmdCache = [...this.cmds.values()].sort(compareNames);
    return this.sortedCmdCache;
  }

  hasCommand(name: string): boolean {
    return this.cmds.has(name.toLowerCase());
  }

  /** Returns true when the tree changed. */
  setInfo(rawName: string, rawValue: string): boolean {
    const name = wireText(rawName);
    const value = wireText(rawValue);
    const key = name.toLowerCase();
    const node = this.vars.get(key);
    if (node) {
      if (node.value.toLowerCase() === value.toLowerCase()) return false;
      if (node.flags & FLAG_IMMUTABLE) return false;
      node.value = value;
    } else {
      this.vars.set(key, { name, value, flags: 0, aux: 0, enums: [], ranges: [] });
      this.sortedCache = null;
    }
    this.emit({ op: 'SETINFO', name, value });
    return true;
  }

  delInfo(name: string): boolean {
    const key = name.toLowerCase();
    const node = this.vars.get(key);
    if (!node || node.flags & FLAG_IMMUTABLE) return false;
    this.vars.delete(key);
    this.sortedCache = null;
    this.emit({ op: 'DELINFO', name });
    return true;
  }

  /** Replaces the flags. Unknown variable: ignored (returns false). */
  setFlags(name: string, flags: number): boolean {
    const node = this.get(name);
    if (!node || node.flags === flags) return false;
    node.flags = flags;
    this.emit({ op: 'SETFLAGS', name, flags });
    return true;
  }

  setAux(name: string, aux: number): boolean {
    const node = this.get(name);
    if (!node || node.aux === aux) return false;
    node.aux = aux;
    this.emit({ op: 'SETAUX', name, aux });
    return true;
  }

  addEnum(name: string, rawValue: string): boolean {
    const node = this.get(name);
    if (!node) return false;
    const value = wireText(rawValue);
    const encoded = encodeValue(value);
    if (node.enums.includes(encoded)) return false;
    node.enums.push(encoded);
    this.emit({ op: 'ADDENUM', name, value });
    return true;
  }

  delEnum(name: string, value: string): boolean {
    const node = this.get(name);
    if (!node) return false;
    const encoded = encodeValue(value).toLowerCase();
    const i = node.enums.findIndex((e) => e.toLowerCase() === encoded);
    if (i < 0) return false;
    node.enums.splice(i, 1);
    this.emit({ op: 'DELENUM', name, value });
    return true;
  }

  /** NUT's duplicate test: a range matching an existing one's min OR max is not added. */
  addRange(name: string, min: number, max: number): boolean {
    const node = this.get(name);
    if (!node || min > max) return false;
    if (node.ranges.some((r) => r.min === min || r.max === max)) return false;
    node.ranges.push({ min, max });
    this.emit({ op: 'ADDRANGE', name, min, max });
    return true;
  }

  delRange(name: string, min: number, max: number): boolean {
    const node = this.get(name);
    if (!node) return false;
    const i = node.ranges.findIndex((r) => r.min === min || r.max === max);
    if (i < 0) return false;
    node.ranges.splice(i, 1);
    this.emit({ op: 'DELRANGE', name, min, max });
    return true;
  }

  addCmd(rawName: string): boolean {
    const name = wireText(rawName);
    const key = name.toLowerCase();
    if (this.cmds.has(key)) return false;
    this.cmds.set(key, name);
    this.sortedCmdCache = null;
    this.emit({ op: 'ADDCMD', name });
    return true;
  }

  delCmd(name: string): boolean {
    if (!this.cmds.delete(name.toLowerCase())) return false;
    this.sortedCmdCache = null;
    this.emit({ op: 'DELCMD', name });
    return true;
  }

  setStale(stale: boolean): boolean {
    if (this.stale === stale) return false;
    this.stale = stale;
    this.emit(stale ? { op: 'DATASTALE' } : { op: 'DATAOK' });
    return true;
  }

  /** Applies one operation; returns true when it changed the tree. */
  apply(op: DstateOp): boolean {
    switch (op.op) {
      case 'SETINFO':
        return this.setInfo(op.name, op.value);
      case 'DELINFO':
        return this.delInfo(op.name);
      case 'SETFLAGS':
        return this.setFlags(op.name, op.flags);
      case 'SETAUX':
        return this.setAux(op.name, op.aux);
      case 'ADDENUM':
        return this.addEnum(op.name, op.value);
      case 'DELENUM':
        return this.delEnum(op.name, op.value);
      case 'ADDRANGE':
        return this.addRange(op.name, op.min, op.max);
      case 'DELRANGE':
        return this.delRange(op.name, op.min, op.max);
      case 'ADDCMD':
        return this.addCmd(op.name);
      case 'DELCMD':
        return this.delCmd(op.name);
      case 'DATAOK':
        return this.setStale(false);
      case 'DATASTALE':
        return this.setStale(true);
    }
  }

  /** Removes everything (driver gone); emits nothing. */
  clear(): void {
    this.vars.clear();
    this.cmds.clear();
    this.sortedCache = null;
    this.sortedCmdCache = null;
    this.stale = true;
  }

  /**
   * The whole tree as operations in DUMPALL order (sock-protocol.md §5): DATASTALE first if
   * stale; per variable SETINFO, ADDENUMs, ADDRANGEs, SETAUX (if set), SETFLAGS (if any);
   * then the commands; DATAOK last if fresh. Enum values come back raw.
   */
  dump(): DstateOp[] {
    const ops: DstateOp[] = [];
    if (this.stale) ops.push({ op: 'DATASTALE' });
    for (const node of this.list()) {
      ops.push({ op: 'SETINFO', name: node.name, value: node.value });
      for (const e of node.enums) ops.push({ op: 'ADDENUM', name: node.name, value: decodeEncoded(e) });
      for (const r of node.ranges) ops.push({ op: 'ADDRANGE', name: node.name, min: r.min, max: r.max });
      if (node.aux !== 0) ops.push({ op: 'SETAUX', name: node.name, aux: node.aux });
      if (node.flags !== 0) ops.push({ op: 'SETFLAGS', name: node.name, flags: node.flags });
    }
    for (const c of this.commands()) ops.push({ op: 'ADDCMD', name: c });
    if (!this.stale) ops.push({ op: 'DATAOK' });
    return ops;
  }
}

function decodeEncoded(encoded: string): string {
  return encoded.replace(/\\(.)/g, '$1');
}

/**
 * HID report descriptor parser with NUT 2.8.0's behaviour (drivers/hidparser.c): one object
 * per field that has a usage, collection nodes and `[n]` index nodes in its path, offsets
 * tracked per (report id, item type) in 8 bits, LogMax < LogMin read again unsigned.
 */

export const ITEM_INPUT = 0x80;
export const ITEM_OUTPUT = 0x90;
export const ITEM_FEATURE = 0xb0;
export type ItemType = typeof ITEM_INPUT | typeof ITEM_OUTPUT | typeof ITEM_FEATURE;

const MAX_OBJECTS = 500;
const USAGE_TAB_SIZE = 50;
const ITEM_SIZE = [0, 1, 2, 4];

export interface HidObject {
  /** Usage nodes from the top collection down to the field ((page << 16) | usage, or 0x00ff00nn for `[n]`). */
  path: number[];
  type: ItemType;
  reportId: number;
  /** Bit offset inside the report (after the id byte); 8 bits wide as in NUT. */
  offset: number;
  size: number;
  attribute: number;
  unit: number;
  unitExp: number;
  logMin: number;
  logMax: number;
  phyMin: number;
  phyMax: number;
  havePhyMin: boolean;
  havePhyMax: boolean;
}

export interface HidDescriptor {
  objects: HidObject[];
  /** Report length in bytes per report id (without the id byte). */
  replen: Map<number, number>;
  warnings: string[];
}

function signed(value: number, size: number): number {
  if (size === 1) return (value << 24) >> 24;
  if (size === 2) return (value << 16) >> 16;
  if (size === 4) return value | 0;
  return value;
}

export function parseReportDescriptor(desc: Uint8Array): HidDescriptor {
  const objects: HidObject[] = [];
  const replen = new Map<number, number>();
  const warnings: string[] = [];
  const offsets = new Map<string, number>();
  let usages: number[] = [];
  let page = 0;
  let reportCount = 0;
  const path: number[] = [];
  const g = {
    reportId: 0, size: 0, unit: 0, unitExp: 0, logMin: 0, logMax: 0,
    phyMin: 0, phyMax: 0, havePhyMin: false, havePhyMax: false,
  };
  let pos = 0;
  const shift = () => {
    const u = usages.length ? usages[0] : 0;
    if (usages.length) usages = usages.slice(1);
    return u;
  };
  while (pos < desc.length && objects.length < MAX_OBJECTS) {
    const item = desc[pos++];
    const n = ITEM_SIZE[item & 3];
    let value = 0;
    for (let i = 0; i < n; i++) value += (desc[pos + i] ?? 0) * 2 ** (8 * i);
    pos += n;
    switch (item & 0xfc) {
      case 0x04:
        page = value & 0xffff;
        break;
      case 0x08:
        if (usages.length < USAGE_TAB_SIZE) usages.push((item & 3) > 2 ? value >>> 0 : ((page << 16) | (value & 0xffff)) >>> 0);
        break;
      case 0xa0: {
        path.push(usages[0] ?? 0);
        if (value >= 0x80) path.push((0x00ff0000 | (value & 0x7f)) >>> 0);
        usages = [];
        break;
      }
      case 0xc0: {
        // An index node goes with the collection node it was added after.
        const popped = path.pop();
        if (popped !== undefined && (popped & 0xffff0000) >>> 0 === 0x00ff0000) path.pop();
        usages = [];
        break;
      }
      case ITEM_INPUT:
      case ITEM_OUTPUT:
      case ITEM_FEATURE: {
        const type = (item & 0xfc) as ItemType;
        for (let c = 0; c < Math.max(reportCount, 1) && objects.length < MAX_OBJECTS; c++) {
          const usage = shift();
          const key = `${g.reportId}/${type}`;
          const offset = offsets.get(key) ?? 0;
          const obj: HidObject = { path: [...path, usage], type, offset, attribute: value & 0xff, ...g };
          offsets.set(key, (offset + g.size) & 0xff);
          const len = (offset + g.size + 7) >> 3;
          if (len > (replen.get(g.reportId) ?? 0)) replen.set(g.reportId, len);
          if (usage !== 0) objects.push(obj);
        }
        usages = [];
        break;
      }
      case 0x84:
        g.reportId = value & 0xff;
        break;
      case 0x74:
        g.size = value & 0xff;
        break;
      case 0x94:
        reportCount = value & 0xff;
        break;
      case 0x54:
        {
          const e = ((value & 0xff) << 24) >> 24;
          g.unitExp = e > 7 ? ((e | 0xf0) << 24) >> 24 : e;
        }
        break;
      case 0x64:
        g.unit = value >>> 0;
        break;
      case 0x14:
        g.logMin = signed(value, n);
        break;
      case 0x24:
        g.logMax = signed(value, n);
        if (g.logMax < g.logMin) {
          warnings.push(
            `LogMax is less than LogMin. Vendor HID report descriptor may be incorrect; interpreting LogMax ${g.logMax} as ${value} in ReportID: 0x${g.reportId.toString(16).padStart(2, '0')}`,
          );
          g.logMax = value;
        }
        break;
      case 0x34:
        g.phyMin = signed(value, n);
        g.havePhyMin = true;
        break;
      case 0x44:
        g.phyMax = signed(value, n);
        g.havePhyMax = true;
        break;
      case 0xfc:
        pos += value & 0xff;
        break;
      default:
        break;
    }
  }
  return { objects, replen, warnings };
}

/** FindObject_with_Path: first object of `type` whose path starts with `path` (NUT compares only path.length nodes). */
export function findObject(desc: HidDescriptor, path: readonly number[], type: ItemType): HidObject | undefined {
  return desc.objects.find((o) => o.type === type && path.every((n, i) => o.path[i] === n));
}

/** FindObject_with_ID_Node: first object of that report whose last node is `node`. */
export function findObjectByIdNode(desc: HidDescriptor, reportId: number, node: number): HidObject | undefined {
  return desc.objects.find((o) => o.reportId === reportId && o.path.length > 0 && o.path[o.path.length - 1] === node);
}

/** Bytes NUT keeps for a report: its length plus the id byte. */
export function reportBufferLength(desc: HidDescriptor, reportId: number): number {
  return (desc.replen.get(reportId) ?? 0) + 1;
}

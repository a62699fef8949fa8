/**
 * A virtual HID UPS built from a subdriver's table, for devices no recording exists of: one
 * feature field per distinct row path (32 bits, two per report), values that the rows'
 * lookups know, ids the subdriver claims. NUT's driver and ours then read the same device.
 */
import type { DeviceModel } from '../../../../test/virtual-usb/model.js';
import { UsageTable } from '../../src/hid/usages.js';
import { objectsFromPathLines } from '../../src/replay.js';
import type { HidRow, Lookup, SubdriverTable, TableSet } from '../../src/table.js';

/**
 * Reports some converters read whole, whatever object their row points at (ever-hid.c reads
 * reports 74-76, 210-218, 230-232 directly): the model must have them or NUT dereferences a
 * missing buffer. Each gets one unnamed 32-bit field.
 */
const RAW_REPORTS: Record<string, Record<number, number>> = {
  ever: { 74: 0x04, 75: 0x0041, 76: 0x0001, 210: 0x0a0b0c0d, 211: 0x0101a8c0, 215: 1000, 216: 2000, 217: 3000, 218: 4000, 230: 0x0201a8c0, 231: 0x00ffffff, 232: 0x0101a8c0 },
};

/** `first`: each lookup's first value, flags set; `last`: last values, flags clear, other numbers. */
export type Variant = 'first' | 'last';

function valueFor(row: HidRow, lookups: Record<string, Lookup>, i: number, variant: Variant): number {
  const l = row.lookup ? lookups[row.lookup] : undefined;
  const pick = (v: Array<{ value: number }>) => (variant === 'first' ? v[0] : v[v.length - 1])?.value ?? 0;
  if (!l) return variant === 'first' ? 100 + ((i * 37) % 900) : 1 + ((i * 53) % 60000);
  if ('flag' in l) return variant === 'last' ? 0 : l.flag.equals ?? (l.flag.mask === -1 ? 1 : l.flag.mask);
  if ('converter' in l) {
    if (l.decode === 'stringid_conversion_fun' || l.decode === 'tripplite_chemistry_fun') return 4;
    if (l.values?.length) return pick(l.values);
    return variant === 'first' ? 1000 + i : 0x12345 + i * 7919;
  }
  return pick(l.values);
}

export function modelFromTable(tables: TableSet, sub: SubdriverTable, variant: Variant = 'first', productId?: string): DeviceModel {
  const usages = new UsageTable([...(sub.usages ?? []), ...tables.generic.usages]);
  const lookups = { ...tables.generic.lookups, ...sub.lookups };
  const paths = new Map<string, number>();
  (sub.rows ?? []).forEach((r, i) => {
    if (!paths.has(r.path)) paths.set(r.path, Math.max(0, valueFor(r, lookups, i, variant)));
  });
  const lines = [...paths].map(([path, value], i) => {
    const id = 1 + Math.floor(i / 2);
    return `Path: ${path}, Type: Feature, ReportID: 0x${id.toString(16)}, Offset: ${(i % 2) * 32}, Size: 32, Value: ${value}`;
  });
  for (const [rid, value] of Object.entries(RAW_REPORTS[sub.subdriver] ?? {})) {
    lines.push(`Path: UPS.ffff00f${lines.length % 10}, Type: Feature, ReportID: 0x${Number(rid).toString(16)}, Offset: 0, Size: 32, Value: ${value}`);
  }
  const usage = (name: string) => usages.usage(name);
  const built = objectsFromPathLines(lines, usage)!;
  const id =
    (productId && sub.claim.ids?.find((x) => x.productId === productId)) ||
    (sub.claim.ids?.find((x) => !sub.claim.vendors?.[x.vendorId]?.requireString) ?? sub.claim.ids![0]!);
  const featureReports: Record<string, string> = {};
  for (const [rid, seq] of Object.entries(built.features)) featureReports[rid] = seq[0]!;
  const usb = sub.claim.usb;
  // Subdrivers that use another interface (arduino: 2, endpoint 0x84; powervar: 1) get it, after vendor ones.
  const interfaces = usb?.interface
    ? [
        ...Array.from({ length: usb.interface }, (_, n) => ({ number: n, class: 'ff' })),
        {
          number: usb.interface,
          class: '03',
          hid: { reportDescriptor: built.descriptor },
          endpoints: [{ address: (0x80 | (usb.endpointIn ?? 1)).toString(16), type: 'interrupt' as const, maxPacketSize: 8, interval: 10 }],
        },
      ]
    : undefined;
  return {
    name: `${sub.subdriver} (from its table)`,
    ...(interfaces ? { interfaces } : {}),
    source: `plugins/usbhid-ups/tables/${sub.subdriver}.json`,
    usb: { vendorId: id.vendorId, productId: id.productId, manufacturer: 'Test Mfr', product: 'Test UPS', serial: 'T0001' },
    reportDescriptor: built.descriptor,
    featureReports,
    strings: { 4: 'PbAc', 5: 'String 5' },
  };
}

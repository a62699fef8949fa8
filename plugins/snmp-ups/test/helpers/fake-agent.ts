/** An in-memory SNMP agent (v1 semantics: a missing object is an error) for engine unit tests. */
import type { SnmpTransport, SnmpValue } from '../../src/session.js';
import { Asn } from '../../src/session.js';

type Entry = { type: number; value: number | string | Buffer };

function norm(oid: string): string {
  return oid.replace(/^\./, '');
}
function cmp(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

export class FakeAgent implements SnmpTransport {
  readonly objects = new Map<string, Entry>();
  readonly sets: Array<{ oid: string; type: string; value: string }> = [];
  gets = 0;
  down = false;

  constructor(init: Record<string, number | string | Entry> = {}) {
    for (const [oid, v] of Object.entries(init)) this.put(oid, v);
  }

  put(oid: string, v: number | string | Entry): void {
    const e: Entry =
      typeof v === 'number' ? { type: Asn.Integer, value: v } : typeof v === 'string' ? { type: Asn.OctetString, value: Buffer.from(v, 'latin1') } : v;
    this.objects.set(norm(oid), e);
  }

  private answer(oid: string): SnmpValue {
    const e = this.objects.get(oid)!;
    return { oid: '.' + oid, type: e.type, value: e.value };
  }

  async get(oid: string): Promise<SnmpValue | undefined> {
    this.gets++;
    if (this.down) return undefined;
    const k = norm(oid);
    return this.objects.has(k) ? this.answer(k) : undefined;
  }

  async getNext(oid: string): Promise<SnmpValue | undefined> {
    if (this.down) return undefined;
    const k = norm(oid);
    const next = [...this.objects.keys()].sort(cmp).find((o) => cmp(o, k) > 0);
    return next ? this.answer(next) : undefined;
  }

  async set(oid: string, type: 'i' | 's' | 't', value: string): Promise<boolean> {
    if (this.down) return false;
    const k = norm(oid);
    this.sets.push({ oid: k, type, value });
    if (!this.objects.has(k)) return false;
    this.objects.set(k, type === 's' ? { type: Asn.OctetString, value: Buffer.from(value, 'latin1') } : { type: type === 't' ? Asn.TimeTicks : Asn.Integer, value: Number(value) });
    return true;
  }

  close(): void {}
}

/**
 * DES-CBC for SNMPv3 privacy (privProtocol=DES, NUT's default). Node's OpenSSL 3 build no longer
 * offers des-cbc without the legacy provider; net-snmp asks node:crypto for it. When it is
 * missing, this adds des-cbc to this thread's node:crypto using des.js (pure JavaScript);
 * every other cipher goes to OpenSSL unchanged. Used by snmp-ups' sessions and the scanner.
 */
import crypto from 'node:crypto';
import { createRequire } from 'node:module';

interface DesCipher {
  update(data: number[]): number[];
  final(): number[];
  padding: boolean;
}
interface DesModule {
  DES: unknown;
  CBC: { instantiate(cipher: unknown): { create(opts: { type: 'encrypt' | 'decrypt'; key: number[]; iv: number[] }): DesCipher } };
}

let installed = false;

function nativeDesWorks(): boolean {
  try {
    crypto.createCipheriv('des-cbc', Buffer.alloc(8), Buffer.alloc(8));
    return true;
  } catch {
    return false;
  }
}

export function ensureDesCbc(): void {
  if (installed || nativeDesWorks()) return;
  installed = true;
  const des = createRequire(import.meta.url)('des.js') as DesModule;
  const mode = des.CBC.instantiate(des.DES);
  const wrap = (type: 'encrypt' | 'decrypt', original: (...a: never[]) => unknown) =>
    function (this: unknown, algorithm: string, key: Buffer, iv: Buffer, ...rest: unknown[]) {
      if (String(algorithm).toLowerCase() !== 'des-cbc') return (original as (...a: unknown[]) => unknown).call(crypto, algorithm, key, iv, ...rest);
      const c = mode.create({ type, key: [...key], iv: [...iv] });
      return {
        update: (data: Buffer) => Buffer.from(c.update([...data])),
        final: () => Buffer.from(c.final()),
        setAutoPadding(on = true) {
          c.padding = on;
          return this;
        },
      };
    };
  const mutable = crypto as unknown as Record<string, unknown>;
  mutable.createCipheriv = wrap('encrypt', crypto.createCipheriv as never);
  mutable.createDecipheriv = wrap('decrypt', crypto.createDecipheriv as never);
}

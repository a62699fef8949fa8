/**
 * Which instance holds which device, inside one host. A port named by two ups.conf sections
 * is refused to the second with both names, whether or not the sections ask for the OS lock
 * (nolock only turns off the flock() that other processes see).
 */
import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { TransportError } from '../plugin-api/transports.js';

/** The key two names of one device share: the node a symlink (by-id, socat link) points at. */
export async function deviceKey(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return resolve(path);
  }
}

export interface LockOwner {
  /** One run of one instance. */
  instanceId: string;
  /** The ups.conf section, for messages. */
  upsname: string;
}

export class LockTable {
  private readonly held = new Map<string, LockOwner & { path: string }>();

  /** Takes `key` for `owner`, or throws EBUSY naming the section that has it. */
  claim(key: string, path: string, owner: LockOwner): void {
    const other = this.held.get(key);
    if (other) {
      const same = other.upsname === owner.upsname;
      throw new TransportError(
        'EBUSY',
        same
          ? `${path} is already open for UPS [${owner.upsname}]`
          : `${path} is already in use by UPS [${other.upsname}]${other.path !== path ? ` (as ${other.path})` : ''}: ` +
            `sections [${other.upsname}] and [${owner.upsname}] name the same port`,
      );
    }
    this.held.set(key, { ...owner, path });
  }

  release(key: string, instanceId: string): void {
    if (this.held.get(key)?.instanceId === instanceId) this.held.delete(key);
  }

  releaseAll(instanceId: string): void {
    for (const [k, v] of this.held) if (v.instanceId === instanceId) this.held.delete(k);
  }

  holder(key: string): LockOwner | undefined {
    return this.held.get(key);
  }

  get size(): number {
    return this.held.size;
  }
}

/** The claim pattern every nutdrv_qx subdriver repeats: items in turn must answer and publish. */
import type { QxApi } from './types.js';

/**
 * Processes each named item and publishes it; on a failure after the first, the values
 * published so far are deleted again. `stopBefore(i)` ends the claim early with success.
 */
export async function claimItems(qx: QxApi, names: readonly string[], stopBefore?: (index: number) => boolean): Promise<boolean> {
  const published: string[] = [];
  for (let i = 0; i < names.length; i++) {
    if (stopBefore?.(i)) return true;
    const item = qx.find(names[i]!);
    const ok = item !== undefined && (await qx.process(item)) && qx.infovalSet(item) === 1;
    if (!ok) {
      for (const p of published) qx.delinfo(p);
      return false;
    }
    published.push(names[i]!);
  }
  return true;
}

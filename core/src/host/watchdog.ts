/**
 * Watches calls into plugin code: the worker reports enter/leave, and a call that stays open
 * longer than its budget fires once. Nested enters keep the outermost deadline.
 */
import type { PluginCall } from './worker-protocol.js';

export class Watchdog {
  private timer: NodeJS.Timeout | undefined;
  private call: PluginCall | undefined;
  private since = 0;

  constructor(
    private readonly budgetMs: (call: PluginCall) => number,
    private readonly onExpire: (call: PluginCall, budgetMs: number, elapsedMs: number) => void,
  ) {}

  enter(call: PluginCall): void {
    if (this.timer) return;
    this.call = call;
    this.since = Date.now();
    const budget = this.budgetMs(call);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const c = this.call!;
      this.call = undefined;
      this.onExpire(c, budget, Date.now() - this.since);
    }, budget);
  }

  leave(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.call = undefined;
  }

  /** The call in progress, if any. */
  get current(): PluginCall | undefined {
    return this.call;
  }
}

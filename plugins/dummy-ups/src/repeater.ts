/**
 * Repeater mode: copies `LIST VAR <ups>` of another upsd into this instance on every update
 * (driver.* excepted), through the same setvar as file lines. Failures disconnect and
 * reconnect; the data is not marked stale (2.8.0 behaviour: last values stay).
 */
import type { DriverContext } from '@nut-ts/core/plugin-api';
import { NutClient, NutError, parseUpsName } from '@nut-ts/core/client';

export class Repeater {
  private client: NutClient | undefined;
  private ups = '';
  private host = '';
  private port = 0;

  constructor(
    private readonly target: string,
    private readonly ctx: DriverContext,
    private readonly setvar: (name: string, value: string) => void,
  ) {}

  private connect(): Promise<void> {
    this.client?.close();
    const client = new NutClient({ host: this.host, port: this.port, tls: 'try' });
    client.on('error', () => {});
    this.client = client;
    return client.connect();
  }

  /** Connects and copies once; failures are fatal, as in 2.8.0. */
  async start(): Promise<void> {
    try {
      const a = parseUpsName(this.target);
      this.ups = a.ups;
      this.host = a.host;
      this.port = a.port;
    } catch {
      throw new Error('Error: invalid UPS definition.\nRequired format: upsname[@hostname[:port]]');
    }
    try {
      await this.connect();
    } catch (e) {
      throw new Error(`Error: ${(e as Error).message}`);
    }
    this.ctx.log.debug(1, `Connected to ${this.ups}@${this.host}`);
    const failure = await this.copy();
    if (failure) {
      if (failure instanceof NutError && failure.code === 'UNKNOWN-COMMAND') throw new Error('Error: upsd is too old to support this query');
      throw new Error(`Error: ${failure.message}`);
    }
  }

  private async copy(): Promise<Error | undefined> {
    try {
      const vars = await this.client!.listVar(this.ups);
      for (const v of vars) if (!v.name.startsWith('driver.')) this.setvar(v.name, v.value);
      return undefined;
    } catch (e) {
      this.ctx.log.debug(1, `Error: ${(e as Error).message}`);
      return e as Error;
    }
  }

  /** One poll; on failure reconnects for the next one. True when data was copied. */
  async update(): Promise<boolean> {
    if (!(await this.copy())) return true;
    try {
      await this.connect();
      this.ctx.log.debug(1, 'Reconnected');
    } catch (e) {
      this.ctx.log.debug(1, `Error reconnecting: ${(e as Error).message}`);
    }
    return false;
  }

  async close(): Promise<void> {
    this.client?.close();
    this.client = undefined;
  }
}

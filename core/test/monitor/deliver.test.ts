/** Notification delivery and the power-down flag (reference/clients.md §5.2, §5.4). */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clearPowerDownFlag, createNotifier, powerDownFlagState, runShutdown, SDMAGIC } from '../../src/monitor/deliver.js';
import { NOTIFY_EXEC, NOTIFY_IGNORE, NOTIFY_SYSLOG, NOTIFY_WALL } from '../../src/config/notify-types.js';
import type { Notification } from '../../src/monitor/upsmon.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('notifications', () => {
  it('EXEC runs NOTIFYCMD "<message>" (one argument) with UPSNAME and NOTIFYTYPE; SYSLOG logs; IGNORE wins', async () => {
    dir = mkdtempSync(join(tmpdir(), 'notify-'));
    const out = join(dir, 'out');
    const cmd = join(dir, 'cmd.sh');
    writeFileSync(cmd, `#!/bin/sh\necho "$#|$NOTIFYTYPE|$UPSNAME|$1" >> ${out}\n`, { mode: 0o755 });
    const logged: string[] = [];
    const walls: string[] = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const notify = createNotifier({ log: (_l, m) => logged.push(m), notifyCmd: () => cmd, wall: (t) => walls.push(t), onExecDone: () => done() });
    const n = (type: Notification['type'], flags: number, upsname = 'ups@host'): Notification => ({ type, message: `UPS ${upsname} says "hi" & more`, upsname, flags });
    notify(n('ONBATT', NOTIFY_IGNORE | NOTIFY_SYSLOG | NOTIFY_EXEC));
    notify(n('ONLINE', NOTIFY_SYSLOG | NOTIFY_WALL));
    notify(n('SHUTDOWN', NOTIFY_EXEC, ''));
    await finished;
    expect(logged).toEqual(['UPS ups@host says "hi" & more']);
    expect(walls).toEqual(['UPS ups@host says "hi" & more']);
    // the message goes inside double quotes, as NUT's system() call does: inner quotes end it
    expect(readFileSync(out, 'latin1')).toBe('1|SHUTDOWN||UPS  says hi & more\n');
  });
});

describe('POWERDOWNFLAG', () => {
  it('is written with the magic, recognised by prefix, removed at start only when it is ours', async () => {
    dir = mkdtempSync(join(tmpdir(), 'flag-'));
    const flag = join(dir, 'killpower');
    const log: string[] = [];
    expect(powerDownFlagState(flag)).toBe('absent');
    await runShutdown(flag, 'true', (_l, m) => log.push(m));
    expect(readFileSync(flag, 'latin1')).toBe(SDMAGIC);
    expect(powerDownFlagState(flag)).toBe('set');
    expect(clearPowerDownFlag(flag, () => undefined)).toBe(flag);
    expect(existsSync(flag)).toBe(false);
    writeFileSync(flag, 'precious data');
    expect(powerDownFlagState(flag)).toBe('foreign');
    expect(clearPowerDownFlag(flag, (_l, m) => log.push(m))).toBeUndefined();
    expect(readFileSync(flag, 'latin1')).toBe('precious data');
    await runShutdown(undefined, 'exit 3', (_l, m) => log.push(m));
    expect(log).toEqual([`POWERDOWNFLAG (${flag}) does not contain the upsmon magic string - disabling!`, 'Unable to call shutdown command: exit 3']);
  });
});

import { renameSync, chmodSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureHost, HostUnavailableError } from '../../src/host/control-client.js';
import { LogFile } from '../../src/host/log-file.js';
import { hostLogPath, hostPidPath } from '../../src/host/paths.js';
import { runHost } from '../../src/host/run.js';
import { openStateFileAppend, secureStateDir, StateFileError, writePidFile } from '../../src/host/state-dir.js';

describe('state directory and state files', () => {
  let dir: string;
  let state: string;
  let victim: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nut-ts-state-'));
    state = join(dir, 'state');
    mkdirSync(state);
    // The file a local attacker wants the host to append to or truncate.
    victim = join(dir, 'victim');
    writeFileSync(victim, 'precious\n');
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('repairs a state directory writable by others that it owns, and says so', () => {
    chmodSync(state, 0o777);
    const messages = secureStateDir(state);
    expect(messages).toEqual([`state path ${state} is writable by others (mode 0777): changed to 0775, as NUT requires`]);
    expect(statSync(state).mode & 0o777).toBe(0o775);
    expect(secureStateDir(state)).toEqual([]);
  });

  it('refuses a state directory writable by others when it may not repair it', () => {
    chmodSync(state, 0o1777);
    expect(() => secureStateDir(state, { repair: false })).toThrow(/writable by others \(mode 01777\); refusing to use it/);
  });

  it('refuses a symbolic link planted at nut-ts.log and leaves its target alone', () => {
    symlinkSync(victim, hostLogPath(state));
    expect(() => new LogFile(hostLogPath(state))).toThrow(StateFileError);
    expect(() => openStateFileAppend(hostLogPath(state))).toThrow(`refusing to use ${hostLogPath(state)}: it is a symbolic link`);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
  });

  it('refuses a hard link planted at nut-ts.log', () => {
    linkSync(victim, hostLogPath(state));
    expect(() => openStateFileAppend(hostLogPath(state))).toThrow(/it is a hard link/);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
  });

  it('refuses a symbolic link planted at nut-ts.pid and leaves its target alone', () => {
    symlinkSync(victim, hostPidPath(state));
    expect(() => writePidFile(hostPidPath(state), 42)).toThrow(`refusing to use ${hostPidPath(state)}: it is a symbolic link`);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
  });

  it('replaces a stale pid file', () => {
    writeFileSync(hostPidPath(state), '1\n');
    writePidFile(hostPidPath(state), 42);
    expect(readFileSync(hostPidPath(state), 'utf8')).toBe('42\n');
  });

  it('the host started by a CLI refuses a planted nut-ts.log with a clear message', async () => {
    symlinkSync(victim, hostLogPath(state));
    const paths = { confPath: dir, statePath: state, altPidPath: state, driverPath: '/lib/nut' };
    const err = await ensureHost({ paths, timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostUnavailableError);
    expect((err as Error).message).toMatch(/refusing to use .*nut-ts\.log: it is a symbolic link/);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
  });

  it('runHost refuses to write its pid through a planted link, and repairs the directory mode', async () => {
    chmodSync(state, 0o777);
    symlinkSync(victim, hostPidPath(state));
    const lines: string[] = [];
    const running = await runHost({
      paths: { confPath: dir, statePath: state, altPidPath: state, driverPath: '/lib/nut' },
      settings: { pluginPaths: [] },
      pluginSearch: { builtin: false, nodeModules: false },
      log: (level, m) => lines.push(`${level} ${m}`),
    });
    await running.stop();
    expect(lines).toContain(`warn state path ${state} is writable by others (mode 0777): changed to 0775, as NUT requires`);
    expect(lines).toContain(`warn cannot write ${hostPidPath(state)}: refusing to use ${hostPidPath(state)}: it is a symbolic link (planted in the state directory?); remove it and check who can write the directory`);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
  });

  it('writes the log 0640, rotates it by size and reopens it after an external move', () => {
    const path = hostLogPath(state);
    writeFileSync(path, '', { mode: 0o644 });
    const log = new LogFile(path, { maxBytes: 100, keep: 2 });
    expect(statSync(path).mode & 0o777).toBe(0o640);
    for (let i = 0; i < 12; i++) log.write(`line ${String(i).padStart(2, '0')} ${'x'.repeat(20)}\n`);
    expect(statSync(path).size).toBeLessThanOrEqual(100);
    expect(readFileSync(`${path}.1`, 'utf8')).toMatch(/^line/);
    expect(existsSync(`${path}.2`)).toBe(true);
    expect(existsSync(`${path}.3`)).toBe(false);
    expect(readFileSync(path, 'utf8')).toContain('line 11');
    // logrotate moves the file away; SIGHUP makes the host reopen the name.
    renameSync(path, `${path}.moved`);
    log.reopen();
    log.write('after reopen\n');
    log.close();
    expect(readFileSync(path, 'utf8')).toBe('after reopen\n');
    expect(statSync(path).mode & 0o777).toBe(0o640);
  });
});

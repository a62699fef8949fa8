/**
 * Hostile servers: random bytes for answers. Every request settles (a value or a NutError),
 * nothing throws out of band, and the CLIs end with a message, never a stack trace.
 */
import { rng } from '../../../test/helpers/random.js';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NutClient, NutError } from '../../src/client/index.js';
import { scriptServer, type ScriptServer } from './script-server.js';


const PIECES = ['BEGIN LIST VAR u', 'END LIST VAR u', 'VAR u a.b "1"', 'ERR ', '"', '\\', '#', ' ', '\n', '\r', '\x00', '\xff', 'OK'];

function garbage(r: () => number): string {
  let s = '';
  const n = Math.floor(r() * 12);
  for (let i = 0; i < n; i++) {
    s += r() < 0.6 ? PIECES[Math.floor(r() * PIECES.length)] : String.fromCharCode(Math.floor(r() * 256));
  }
  return s;
}

// the CLI cases spawn several node processes each: allow for a loaded machine
vi.setConfig({ testTimeout: 180_000 });

const servers: ScriptServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

describe('random answers', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('seed %i: every request settles with a value or a NutError', async (seed) => {
    const r = rng(seed);
    const s = await scriptServer((_l, _c, socket) => {
      if (r() < 0.02) return () => socket.destroy();
      socket.write(garbage(r), 'latin1');
      return undefined;
    });
    servers.push(s);
    const c = new NutClient({ host: '127.0.0.1', port: s.port, timeout: 300 });
    await c.connect();
    const calls: Array<Promise<unknown>> = [];
    for (let i = 0; i < 200; i++) {
      const k = Math.floor(r() * 4);
      calls.push(
        k === 0 ? c.getVar('u', 'a.b') : k === 1 ? c.listVar('u') : k === 2 ? c.command('VER') : c.listEnum('u', 'a.b'),
      );
    }
    const settled = await Promise.allSettled(calls);
    for (const x of settled) {
      if (x.status === 'rejected') expect(x.reason).toBeInstanceOf(NutError);
    }
    c.close();
  });
});

describe('CLIs against garbage', () => {
  const CLI = fileURLToPath(new URL('../../dist/cli/', import.meta.url));

  function run(tool: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [`${CLI}${tool}.js`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString('latin1')));
      child.on('close', (code) => resolve({ stdout, stderr, code }));
    });
  }

  it.each([11, 12, 13])('seed %i', async (seed) => {
    const r = rng(seed);
    const s = await scriptServer((_l, _c, socket) => {
      socket.write(garbage(r) + '\n', 'latin1');
      return undefined;
    });
    servers.push(s);
    const ups = `u@127.0.0.1:${s.port}`;
    for (const [tool, args] of [
      ['upsc', [ups]],
      ['upsc', [ups, 'a.b']],
      ['upsrw', [ups]],
      ['upscmd', ['-l', ups]],
      ['upscmd', ['-w', '-t', '1', '-u', 'x', '-p', 'y', ups, 'a.b']],
    ] as const) {
      const res = await run(tool, [...args]);
      expect([0, 1]).toContain(res.code);
      expect(res.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

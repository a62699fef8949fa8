/**
 * upsmon and TLS: STARTTLS against our upsd with CERTFILE, CERTVERIFY with the certificate
 * in CERTPATH, a wrong CERTPATH, and FORCESSL against a server without TLS (NUT's upsd).
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { seq, startStack, startUpsmon, types, waitFor, type Stack } from './monitor-harness.js';
import { RUN_AS_FLAG } from '../helpers/run-user.js';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.cleanup();
  stack = undefined;
});

function makeCert(dir: string, cn: string): { pem: string; cert: string } {
  mkdirSync(dir, { recursive: true });
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=IP:127.0.0.1`], { encoding: 'latin1' });
  expect(r.status, r.stderr).toBe(0);
  const pem = join(dir, 'upsd.pem');
  writeFileSync(pem, readFileSync(cert, 'latin1') + readFileSync(key, 'latin1'));
  return { pem, cert };
}

describe('our upsmon and TLS', () => {
  it('STARTTLS with CERTVERIFY 1 and the server certificate in CERTPATH; a foreign CERTPATH fails', async () => {
    stack = await startStack('ours', { u1: seq('OL') });
    const good = makeCert(join(stack.sb.dir, 'good'), '127.0.0.1');
    const other = makeCert(join(stack.sb.dir, 'other'), 'someone-else');
    appendFileSync(join(stack.sb.confPath, 'upsd.conf'), `CERTFILE ${good.pem}\n`);
    await stack.stopServer();
    stack = await startStackAgain(stack);
    const ok = startUpsmon(stack, { name: 'tls', impl: 'ours', body: `MONITOR u1@127.0.0.1:@PORT 1 mon pw primary\nPOLLFREQ 1\nCERTVERIFY 1\nCERTPATH ${join(stack.sb.dir, 'good')}` });
    await waitFor(() => ok.stderr().includes('[SSL]'), 'a poll over TLS');
    expect(types(ok)).toEqual([]);
    const bad = startUpsmon(stack, { name: 'bad', impl: 'ours', body: `MONITOR u1@127.0.0.1:@PORT 1 mon pw primary\nPOLLFREQ 1\nCERTVERIFY 1\nCERTPATH ${join(stack.sb.dir, 'other')}` });
    await waitFor(() => types(bad).includes('COMMBAD'), 'COMMBAD with the wrong CA');
    expect(bad.stderr()).toMatch(/connect failed: SSL error/);
    void other;
  });

  it('FORCESSL 1 against a server without TLS: no connection, COMMBAD (as NUT)', async () => {
    stack = await startStack('nut', { u1: seq('OL') });
    for (const impl of ['ours', 'nut'] as const) {
      const m = startUpsmon(stack, { name: `force-${impl}`, impl, body: `MONITOR u1@127.0.0.1:@PORT 1 mon pw primary\nPOLLFREQ 1\nFORCESSL 1` });
      await waitFor(() => types(m).includes('COMMBAD'), `${impl} COMMBAD`);
      expect(m.stderr()).not.toContain('Logged into UPS');
    }
  });
});

/** Restarts our upsd on the same sandbox (after a config change). */
async function startStackAgain(s: Stack): Promise<Stack> {
  const { spawn } = await import('node:child_process');
  const { OUR_CLI } = await import('./monitor-harness.js');
  const server = spawn(process.execPath, [join(OUR_CLI, 'upsd.js'), '-F', ...RUN_AS_FLAG], { env: s.sb.env, stdio: 'ignore', detached: true });
  s.server = server;
  await waitFor(() => spawnSync('upsc', [`u1@127.0.0.1:${s.port}`, 'ups.status'], { encoding: 'latin1' }).status === 0, 'upsd back', 30_000);
  return s;
}

/** The HTTP service over TLS with upsd.conf's CERTFILE (a certificate made by openssl). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, startTestHost, type TestHost } from '../../core/test/http/harness.js';
import { freePort } from '../helpers/oracle.js';

describe('HTTPS with the certificate upsd uses', () => {
  let t: TestHost;
  let dir: string;
  let cert: string;
  let base: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nut-ts-https-'));
    const pem = join(dir, 'upsd.pem');
    const r = spawnSync('sh', ['-c', `openssl req -x509 -newkey rsa:2048 -nodes -keyout ${dir}/key.pem -out ${dir}/cert.pem -days 2 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 2>&1 && cat ${dir}/cert.pem ${dir}/key.pem > ${pem}`], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl req failed (apt-get install -y openssl): ${r.stdout}${r.error ?? ''}`);
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const upsd = await freePort();
    const http = await freePort();
    t = await startTestHost({ files: { 'upsd.conf': `LISTEN 127.0.0.1 ${upsd}\nCERTFILE ${pem}\n` }, services: { http: { listen: `127.0.0.1:${http}`, tls: true } } });
    base = `https://127.0.0.1:${http}`;
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const fetchTls = (path: string, ca?: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      get(`${base}${path}`, { ca, headers: { authorization: ADMIN }, rejectUnauthorized: true }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      }).on('error', reject);
    });

  it('serves the API over TLS with that certificate', async () => {
    const r = await fetchTls('/api/v1/devices', cert);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)[0].name).toBe('dev');
  });

  it('a client that does not trust the certificate is refused by TLS itself', async () => {
    await expect(fetchTls('/api/v1/devices')).rejects.toThrow(/self[- ]signed/i);
  });
});

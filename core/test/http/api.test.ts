/**
 * The HTTP service against a real host on loopback: dummy-ups in a worker, upsd, the JSON API,
 * its OpenAPI document, rights from upsd.users, live events with resume, /metrics.
 */
import { connect } from 'node:net';
import Ajv2020 from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/helpers/oracle.js';
import { until } from '../../../test/helpers/wait.js';
import { ADMIN, VIEWER, basic, startTestHost, type TestHost } from './harness.js';
import { SseClient } from './sse-client.js';

let t: TestHost;
beforeAll(async () => {
  t = await startTestHost();
}, 60_000);
afterAll(async () => {
  await t?.close();
});

async function api(path: string, init: RequestInit & { auth?: string } = {}) {
  const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
  if (init.auth) headers.authorization = init.auth;
  const res = await fetch(`${t.base}${path}`, { ...init, headers });
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body };
}

describe('OpenAPI document', () => {
  it('is served without credentials and describes every /api/v1 route', async () => {
    const r = await api('/api/v1/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');
    for (const p of ['/api/v1/devices', '/api/v1/devices/{ups}', '/api/v1/devices/{ups}/variables', '/api/v1/devices/{ups}/variables/{name}', '/api/v1/devices/{ups}/commands/{name}', '/api/v1/events', '/api/v1/tracking/{id}']) {
      expect(Object.keys(r.body.paths)).toContain(p);
    }
    expect(Object.keys(r.body.paths['/api/v1/devices/{ups}/variables/{name}'])).toEqual(expect.arrayContaining(['get', 'put']));
  });

  it("answers match the document's response schemas", async () => {
    const doc = (await api('/api/v1/openapi.json')).body;
    const ajv = new Ajv2020.default({ strict: false });
    const check = async (path: string, template: string) => {
      const r = await api(path, { auth: VIEWER });
      const schema = doc.paths[template].get.responses[String(r.status)].content['application/json'].schema;
      expect(ajv.validate(schema, r.body), `${path}: ${ajv.errorsText()}`).toBe(true);
      return r;
    };
    expect((await check('/api/v1/devices', '/api/v1/devices')).body[0].name).toBe('dev');
    await check('/api/v1/devices/dev', '/api/v1/devices/{ups}');
    await check('/api/v1/devices/dev/variables', '/api/v1/devices/{ups}/variables');
    await check('/api/v1/devices/nosuch', '/api/v1/devices/{ups}');
  });
});

describe('devices, variables, commands', () => {
  it('lists the device with its values as the driver set them', async () => {
    const r = await api('/api/v1/devices/dev', { auth: VIEWER });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'dev', desc: 'test device', connected: true, stale: false, status: 'OL' });
    expect(r.body.values['battery.charge']).toBe('100');
    expect(r.body.values['driver.name']).toBe('dummy-ups');
    expect(r.body.commands).toContain('load.off');
  });

  it('gives types, flags and descriptions of a variable', async () => {
    const r = await api('/api/v1/devices/dev/variables/ups.load', { auth: VIEWER });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'ups.load', value: '23', writable: true });
    expect(r.body.type).toContain('RW');
    expect(typeof r.body.description).toBe('string');
  });

  it('unknown device and unknown variable: 404 with a NUT error name', async () => {
    expect(await api('/api/v1/devices/nosuch', { auth: VIEWER })).toMatchObject({ status: 404, body: { error: 'UNKNOWN-UPS' } });
    expect(await api('/api/v1/devices/dev/variables/no.such', { auth: VIEWER })).toMatchObject({ status: 404, body: { error: 'VAR-NOT-SUPPORTED' } });
  });

  it('marks the commands the caller may run', async () => {
    const r = await api('/api/v1/devices/dev/commands', { auth: VIEWER });
    expect(r.body).toContainEqual(expect.objectContaining({ name: 'load.off', allowed: false }));
  });
});

describe('rights from upsd.users', () => {
  it('no credentials: 401 with a Basic challenge; wrong password: 401', async () => {
    const r = await api('/api/v1/devices');
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect(r.body.error).toBe('USERNAME-REQUIRED');
    expect((await api('/api/v1/devices', { auth: basic('admin', 'wrong') })).status).toBe(401);
    expect((await api('/metrics')).status).toBe(401);
  });

  it('SET without the SET action is refused with 403 and changes nothing', async () => {
    const r = await api('/api/v1/devices/dev/variables/ups.load', { method: 'PUT', auth: VIEWER, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value: '77' }) });
    expect(r).toMatchObject({ status: 403, body: { error: 'ACCESS-DENIED' } });
    expect(t.host.get('dev')?.tree.getValue('ups.load')).toBe('23');
  });

  it('malformed JSON and wrong bodies: 400 with a clear error', async () => {
    const bad = await api('/api/v1/devices/dev/variables/ups.load', { method: 'PUT', auth: ADMIN, headers: { 'content-type': 'application/json' }, body: '{"value": ' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('MALFORMED-REQUEST');
    const missing = await api('/api/v1/devices/dev/variables/ups.load', { method: 'PUT', auth: ADMIN, headers: { 'content-type': 'application/json' }, body: '{"val": "1"}' });
    expect(missing).toMatchObject({ status: 400, body: { error: 'INVALID-ARGUMENT' } });
  });

  it('SET by a user with the right reaches the driver; its tracking id reports SUCCESS', async () => {
    const r = await api('/api/v1/devices/dev/variables/ups.load?wait=10000', { method: 'PUT', auth: ADMIN, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value: '42' }) });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('SUCCESS');
    expect(r.body.tracking).toMatch(/^[0-9A-F-]{36}$/);
    await until('ups.load to change', () => t.host.get('dev')?.tree.getValue('ups.load') === '42', 10_000);
    expect((await api(`/api/v1/tracking/${r.body.tracking}`, { auth: VIEWER })).body.status).toBe('SUCCESS');
  });

  it("a command reaches the driver and comes back with the driver's answer", async () => {
    const denied = await api('/api/v1/devices/dev/commands/load.off', { method: 'POST', auth: VIEWER, headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(denied).toMatchObject({ status: 403, body: { error: 'ACCESS-DENIED' } });
    const r = await api('/api/v1/devices/dev/commands/load.off?wait=10000', { method: 'POST', auth: ADMIN, headers: { 'content-type': 'application/json' }, body: '{}' });
    // dummy-ups answers every command with "unknown command" (as NUT 2.8.0's does)
    expect(r.body.status).toBe('ERR UNKNOWN');
    expect(t.logs.some((l) => l.includes('instcmd: unknown command [load.off]'))).toBe(true);
    expect(await api('/api/v1/devices/dev/commands/no.such', { method: 'POST', auth: ADMIN, headers: { 'content-type': 'application/json' }, body: '{}' })).toMatchObject({ status: 404, body: { error: 'CMD-NOT-SUPPORTED' } });
  });
});

describe('live events', () => {
  it('a change reaches the stream; a reconnect with Last-Event-ID gets what it missed', async () => {
    const a = new SseClient(`${t.base}/api/v1/events`, { authorization: VIEWER });
    await a.ready;
    expect(a.status).toBe(200);
    await until('hello', () => a.find((e) => e.event === 'hello'));
    await api('/api/v1/devices/dev/variables/ups.status?wait=10000', { method: 'PUT', auth: ADMIN, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value: 'OB DISCHRG' }) });
    const status = await until('status event', () => a.find((e) => e.event === 'status' && e.json.data.to === 'OB DISCHRG'), 10_000);
    expect(status.json).toMatchObject({ device: 'dev', type: 'status', data: { from: 'OL', to: 'OB DISCHRG' } });
    // as upsmon would notify it
    await until('ONBATT', () => a.find((e) => e.event === 'notify' && e.json.data.type === 'ONBATT'), 10_000);
    a.close();
    // missed while away
    await api('/api/v1/devices/dev/variables/ups.status?wait=10000', { method: 'PUT', auth: ADMIN, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value: 'OL' }) });
    const b = new SseClient(`${t.base}/api/v1/events`, { authorization: VIEWER, 'last-event-id': String(status.id) });
    const back = await until('the missed status event', () => b.find((e) => e.event === 'status' && e.json.data.to === 'OL'), 10_000);
    expect(Number(back.id)).toBeGreaterThan(Number(status.id));
    await until('ONLINE', () => b.find((e) => e.event === 'notify' && e.json.data.type === 'ONLINE'), 10_000);
    expect(b.find((e) => e.event === 'hello')).toBeUndefined();
    b.close();
  });

  it('a Last-Event-ID ahead of the service (from before a restart) gets a reset event, not silence', async () => {
    const c = new SseClient(`${t.base}/api/v1/events`, { authorization: VIEWER, 'last-event-id': '999999' });
    const reset = await until('reset', () => c.find((e) => e.event === 'reset'), 10_000);
    expect(Number(reset.id)).toBeLessThan(999999);
    c.close();
  });

  it('a Last-Event-ID older than the ring gets a reset event', async () => {
    const small = await startTestHost({ services: { http: { listen: `127.0.0.1:${await freePort()}`, eventBuffer: 8 } } });
    try {
      // each SET is a variable event and a command event: ten of them overrun a ring of 8
      for (let i = 0; i < 10; i++) {
        const r = await fetch(`${small.base}/api/v1/devices/dev/variables/ups.load?wait=10000`, { method: 'PUT', headers: { authorization: ADMIN, 'content-type': 'application/json' }, body: JSON.stringify({ value: String(30 + i) }) });
        expect(r.status).toBe(200);
      }
      const c = new SseClient(`${small.base}/api/v1/events`, { authorization: VIEWER, 'last-event-id': '1' });
      await until('reset', () => c.find((e) => e.event === 'reset'), 10_000);
      c.close();
    } finally {
      await small.close();
    }
  }, 60_000);
});

describe('/metrics', () => {
  it("uses nut_exporter's names with a ups label, status flags and device info", async () => {
    const r = await api('/metrics', { auth: VIEWER });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(r.body).toContain('network_ups_tools_battery_charge{ups="dev"} 100\n');
    expect(r.body).toContain('network_ups_tools_input_voltage{ups="dev"} 230.4\n');
    expect(r.body).toContain('network_ups_tools_ups_beeper_status{ups="dev"} 1\n');
    expect(r.body).toMatch(/network_ups_tools_ups_status\{ups="dev",flag="OL"\} 1\n/);
    expect(r.body).toMatch(/network_ups_tools_ups_status\{ups="dev",flag="OB"\} 0\n/);
    // dummy-ups (like NUT's) fills device.model/mfr from its own ups.* defaults: read them from the tree
    const tree = t.host.get('dev')!.tree;
    expect(r.body).toContain(`network_ups_tools_device_info{ups="dev",model="${tree.getValue('device.model')}",mfr="${tree.getValue('device.mfr')}",serial="ABC123",type="ups"`);
    expect(r.body).toMatch(/nut_ts_instance_up\{ups="dev"\} 1\n/);
    expect(r.body).toMatch(/nut_ts_upsd_clients \d+\n/);
    expect(r.body).not.toMatch(/network_ups_tools_device_mfr/);
  });
});

describe('many event clients at once', () => {
  it('1,000 SSE clients connecting together all get the next change, and upsd keeps answering', async () => {
    const upsd = connect(t.upsdPort, '127.0.0.1');
    let answers = 0;
    let buf = '';
    upsd.setEncoding('utf8');
    upsd.on('data', (d: string) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        buf = buf.slice(i + 1);
        answers++;
        upsd.write('GET VAR dev ups.status\n');
      }
    });
    upsd.write('GET VAR dev ups.status\n');
    const clients = Array.from({ length: 1000 }, () => new SseClient(`${t.base}/api/v1/events?ups=dev`, { authorization: VIEWER }));
    const before = answers;
    await until('1,000 streams open', () => t.services.http!.eventClients >= 1000, 60_000);
    expect(answers).toBeGreaterThan(before);
    await api('/api/v1/devices/dev/variables/ups.load?wait=10000', { method: 'PUT', auth: ADMIN, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value: '61' }) });
    await until('every client saw the change', () => clients.every((c) => c.find((e) => e.event === 'variable' && e.json.data.name === 'ups.load' && e.json.data.value === '61')), 60_000);
    const mid = answers;
    await until('upsd still answering', () => answers > mid + 10, 10_000);
    for (const c of clients) c.close();
    upsd.destroy();
    await until('streams closed', () => t.services.http!.eventClients === 0, 30_000);
  }, 120_000);
});

describe('session login', () => {
  it('a right password gives an HttpOnly cookie that stands in for Basic; logout ends it', async () => {
    expect((await api('/api/v1/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'viewer', password: 'nope' }) })).status).toBe(401);
    const r = await fetch(`${t.base}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'viewer', password: 'look' }) });
    expect(r.status).toBe(200);
    const cookie = r.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^nutts_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\//);
    const jar = cookie.split(';')[0];
    const me = await api('/api/v1/me', { headers: { cookie: jar } });
    expect(me).toMatchObject({ status: 200, body: { user: 'viewer', canSet: false } });
    expect((await api('/api/v1/devices', { headers: { cookie: 'nutts_session=forged' } })).status).toBe(401);
    expect((await api('/api/v1/session', { method: 'DELETE', headers: { cookie: jar } })).status).toBe(204);
    expect((await api('/api/v1/me', { headers: { cookie: jar } })).status).toBe(401);
  });

  it('the login page and the page code need no credentials; the dashboard itself does', async () => {
    expect((await api('/login')).status).toBe(200);
    expect((await api('/dashboard/app.js')).status).toBe(200);
    const page = await api('/', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(401);
    expect(page.body).toContain('href="/login"');
    expect(await api('/dashboard/..%2F..%2Fpackage.json')).toMatchObject({ status: 404, body: { message: 'no such file' } });
  });
});

describe('anonymous access where the settings say so', () => {
  it('anonymousRead lets anyone read but not set; anonymousMetrics opens /metrics alone', async () => {
    const { HttpService } = await import('../../src/http/service.js');
    const { defaultHttpSettings } = await import('../../src/config/host-settings.js');
    const open = new HttpService({ directory: t.host, confPath: t.confPath, settings: { ...defaultHttpSettings(), listen: '127.0.0.1:0', anonymousRead: true } });
    const metricsOnly = new HttpService({ directory: t.host, confPath: t.confPath, settings: { ...defaultHttpSettings(), listen: '127.0.0.1:0', anonymousMetrics: true } });
    try {
      const a = `http://127.0.0.1:${(await open.listen()).port}`;
      const m = `http://127.0.0.1:${(await metricsOnly.listen()).port}`;
      expect((await fetch(`${a}/api/v1/devices`)).status).toBe(200);
      const set = await fetch(`${a}/api/v1/devices/dev/variables/ups.load`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"value":"5"}' });
      expect(set.status).toBe(401);
      expect((await fetch(`${m}/metrics`)).status).toBe(200);
      expect((await fetch(`${m}/api/v1/devices`)).status).toBe(401);
    } finally {
      await open.close();
      await metricsOnly.close();
    }
  });
});

describe('driver down', () => {
  it('stopping the driver reaches the stream as a driver event and a COMMBAD notification', async () => {
    const s = new SseClient(`${t.base}/api/v1/events`, { authorization: VIEWER });
    await until('hello', () => s.find((e) => e.event === 'hello'));
    await t.host.stopInstance('dev');
    await until('driver down', () => s.find((e) => e.event === 'driver' && e.json.data.connected === false), 10_000);
    await until('COMMBAD', () => s.find((e) => e.event === 'notify' && e.json.data.type === 'COMMBAD'), 10_000);
    expect(await api('/api/v1/devices/dev/commands/load.off', { method: 'POST', auth: ADMIN, headers: { 'content-type': 'application/json' }, body: '{}' })).toMatchObject({ status: 503 });
    s.close();
  });
});

/**
 * The MQTT bridge against a real mosquitto on loopback: Home Assistant discovery, retained
 * state and availability, the last will, commands under the ACL, and buffering while the
 * broker is away.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '../../core/test/http/harness.js';
import { freePort, waitForPort } from '../helpers/oracle.js';
import { until } from '../helpers/wait.js';

const MOSQUITTO = '/usr/sbin/mosquitto';

function startBroker(dir: string, port: number): ChildProcess {
  const conf = join(dir, `mosquitto-${port}.conf`);
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  return spawn(MOSQUITTO, ['-c', conf], { stdio: 'ignore' });
}

async function stopBroker(b: ChildProcess): Promise<void> {
  if (b.exitCode !== null) return;
  const gone = new Promise((r) => b.once('exit', r));
  b.kill('SIGTERM');
  await gone;
}

interface Msg {
  topic: string;
  text: string;
  retain: boolean;
}

describe('MQTT bridge with a real mosquitto', () => {
  let t: TestHost;
  let broker: ChildProcess;
  let port: number;
  let sub: MqttClient;
  const got: Msg[] = [];
  const last = (topic: string) => [...got].reverse().find((m) => m.topic === topic);

  beforeAll(async () => {
    if (!existsSync(MOSQUITTO)) throw new Error(`mosquitto is missing (${MOSQUITTO}): apt-get install -y mosquitto`);
    port = await freePort();
    t = await startTestHost({
      files: { 'ups.conf': '[dev]\n driver = dummy-ups\n port = dev.dev\n desc = "test device"\n[other]\n driver = dummy-ups\n port = dev.dev\n' },
      services: { mqtt: { url: `mqtt://127.0.0.1:${port}`, commands: { dev: ['load.off'] } } },
    });
    expect((await t.host.startInstance('other', { maxstartdelayMs: 30_000 })).ok).toBe(true);
    broker = startBroker(t.dir, port);
    await waitForPort(port);
    sub = await connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 200 });
    sub.on('message', (topic, payload, packet) => got.push({ topic, text: payload.toString(), retain: packet.retain }));
    await sub.subscribeAsync(['nut/#', 'homeassistant/#']);
    await until('the bridge to connect', () => t.services.mqtt!.connected && t.host.get('dev')!.connected, 30_000);
  }, 60_000);

  afterAll(async () => {
    await sub?.endAsync(true);
    await t?.close();
    if (broker) await stopBroker(broker);
  });

  it('announces the device to Home Assistant and publishes its state and availability', async () => {
    const cfg = await until('battery charge discovery', () => last('homeassistant/sensor/nutts_dev/battery_charge/config'), 10_000);
    const payload = JSON.parse(cfg.text);
    expect(payload).toMatchObject({
      unique_id: 'nutts_dev_battery_charge',
      state_topic: 'nut/dev/state',
      device_class: 'battery',
      unit_of_measurement: '%',
      state_class: 'measurement',
      availability: [{ topic: 'nut/bridge/availability' }, { topic: 'nut/dev/availability' }],
    });
    expect(payload.device.identifiers).toEqual(['nutts_dev']);
    expect(last('homeassistant/button/nutts_dev/load_off/config')).toBeDefined();
    expect(last('homeassistant/binary_sensor/nutts_dev/ol/config')).toBeDefined();
    const state = await until('state', () => last('nut/dev/state'), 10_000);
    const tree = t.host.get('dev')!.tree;
    expect(JSON.parse(state.text)['battery.charge']).toBe(tree.getValue('battery.charge'));
    expect((await until('device availability', () => last('nut/dev/availability'), 10_000)).text).toBe('online');
    expect((await until('bridge availability', () => last('nut/bridge/availability'), 10_000)).text).toBe('online');
  });

  it('announces again when Home Assistant comes online', async () => {
    got.length = 0;
    await sub.publishAsync('homeassistant/status', 'online');
    await until('discovery again', () => last('homeassistant/sensor/nutts_dev/battery_charge/config'), 10_000);
  });

  it('a change in the driver is published', async () => {
    expect(t.host.get('dev')!.setvar('ups.status', 'OB DISCHRG', undefined)).toBe(true);
    await until('the new status on MQTT', () => got.some((m) => m.topic === 'nut/dev/state' && JSON.parse(m.text)['ups.status'] === 'OB DISCHRG'), 10_000);
  });

  it('runs commands the ACL allows and refuses the others', async () => {
    await sub.publishAsync('nut/dev/command', 'load.off');
    const ok = await until('the result of load.off', () => last('nut/dev/command/result'), 10_000);
    // dummy-ups answers every command "unknown", as NUT's does; the command did reach it
    expect(JSON.parse(ok.text)).toMatchObject({ command: 'load.off', status: 'ERR UNKNOWN' });
    expect(t.logs.some((l) => l.includes('instcmd: unknown command [load.off]'))).toBe(true);
    await until('the second device', () => t.host.get('other')!.tree.hasCommand('load.off'), 10_000);
    await sub.publishAsync('nut/other/command', 'load.off');
    const refused = await until('the refusal', () => last('nut/other/command/result'), 10_000);
    expect(JSON.parse(refused.text)).toMatchObject({ command: 'load.off', status: 'ERR ACCESS-DENIED' });
  });

  it('the last will says offline when the bridge drops; it comes back online by itself', async () => {
    got.length = 0;
    (t.services.mqtt as unknown as { client: MqttClient }).client.stream.destroy();
    await until('offline from the will', () => got.some((m) => m.topic === 'nut/bridge/availability' && m.text === 'offline'), 15_000);
    await until('online again', () => last('nut/bridge/availability')?.text === 'online', 15_000);
  });

  it('buffers while the broker is away and publishes on reconnect', async () => {
    await stopBroker(broker);
    await until('the bridge to notice', () => !t.services.mqtt!.connected, 15_000);
    expect(t.host.get('dev')!.setvar('ups.load', '88', undefined)).toBe(true);
    await until('the driver to apply it', () => t.host.get('dev')!.tree.getValue('ups.load') === '88', 10_000);
    got.length = 0;
    broker = startBroker(t.dir, port);
    await waitForPort(port);
    await until('the subscriber to resubscribe', () => sub.connected, 15_000);
    await sub.subscribeAsync(['nut/#']);
    await until('the change made while away', () => got.some((m) => m.topic === 'nut/dev/state' && JSON.parse(m.text)['ups.load'] === '88'), 20_000);
    // the retained state a newcomer gets is the current one, not a buffered older one
    const fresh = await connectAsync(`mqtt://127.0.0.1:${port}`);
    const retained = new Promise<string>((resolve) => fresh.on('message', (_t, p) => resolve(p.toString())));
    await fresh.subscribeAsync('nut/dev/state');
    expect(JSON.parse(await retained)['ups.load']).toBe('88');
    await fresh.endAsync(true);
  }, 60_000);
});

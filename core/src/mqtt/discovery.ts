/**
 * Home Assistant MQTT discovery for one device (per-entity form): sensors for the variables
 * HA's own NUT integration knows, binary sensors for status tokens, a button per instant
 * command. Units and classes as HA's documentation lists them.
 */
import type { Device } from '../dstate/device.js';

export interface Topics {
  state: string;
  availability: string;
  bridgeAvailability: string;
  command: string;
}

interface SensorRow {
  variable: string;
  name: string;
  deviceClass?: string;
  unit?: string;
}

const SENSORS: SensorRow[] = [
  { variable: 'battery.charge', name: 'Battery charge', deviceClass: 'battery', unit: '%' },
  { variable: 'battery.runtime', name: 'Battery runtime', deviceClass: 'duration', unit: 's' },
  { variable: 'battery.voltage', name: 'Battery voltage', deviceClass: 'voltage', unit: 'V' },
  { variable: 'input.voltage', name: 'Input voltage', deviceClass: 'voltage', unit: 'V' },
  { variable: 'input.frequency', name: 'Input frequency', deviceClass: 'frequency', unit: 'Hz' },
  { variable: 'output.voltage', name: 'Output voltage', deviceClass: 'voltage', unit: 'V' },
  { variable: 'ups.load', name: 'Load', unit: '%' },
  { variable: 'ups.realpower', name: 'Real power', deviceClass: 'power', unit: 'W' },
  { variable: 'ups.power', name: 'Apparent power', deviceClass: 'apparent_power', unit: 'VA' },
  { variable: 'ups.temperature', name: 'Temperature', deviceClass: 'temperature', unit: '°C' },
];

const BINARY: Array<{ flag: string; name: string; deviceClass: string }> = [
  { flag: 'OL', name: 'Mains power', deviceClass: 'power' },
  { flag: 'LB', name: 'Low battery', deviceClass: 'battery' },
  { flag: 'RB', name: 'Replace battery', deviceClass: 'problem' },
];

export const objectId = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_');

export interface DiscoveryMessage {
  topic: string;
  payload: Record<string, unknown>;
}

export function discoveryFor(d: Device, prefix: string, nodeId: string, topics: Topics, version: string): DiscoveryMessage[] {
  const node = `${nodeId}_${objectId(d.name)}`;
  const t = d.tree;
  const device = {
    identifiers: [node],
    name: d.desc ?? d.name,
    manufacturer: t.getValue('device.mfr') ?? t.getValue('ups.mfr'),
    model: t.getValue('device.model') ?? t.getValue('ups.model'),
    serial_number: t.getValue('device.serial') ?? t.getValue('ups.serial'),
  };
  const common = {
    availability: [{ topic: topics.bridgeAvailability }, { topic: topics.availability }],
    availability_mode: 'all',
    device,
    origin: { name: 'nut-ts', sw_version: version },
  };
  const out: DiscoveryMessage[] = [];
  for (const s of SENSORS) {
    if (!t.has(s.variable)) continue;
    const id = objectId(s.variable);
    out.push({
      topic: `${prefix}/sensor/${node}/${id}/config`,
      payload: {
        name: s.name,
        unique_id: `${node}_${id}`,
        state_topic: topics.state,
        value_template: `{{ value_json['${s.variable}'] }}`,
        device_class: s.deviceClass,
        unit_of_measurement: s.unit,
        state_class: 'measurement',
        ...common,
      },
    });
  }
  out.push({
    topic: `${prefix}/sensor/${node}/ups_status/config`,
    payload: { name: 'Status', unique_id: `${node}_ups_status`, state_topic: topics.state, value_template: "{{ value_json['ups.status'] }}", ...common },
  });
  for (const b of BINARY) {
    out.push({
      topic: `${prefix}/binary_sensor/${node}/${b.flag.toLowerCase()}/config`,
      payload: {
        name: b.name,
        unique_id: `${node}_${b.flag.toLowerCase()}`,
        state_topic: topics.state,
        value_template: `{{ 'ON' if '${b.flag}' in (value_json['ups.status'] or '').split() else 'OFF' }}`,
        device_class: b.deviceClass,
        ...common,
      },
    });
  }
  for (const c of t.commands()) {
    const id = objectId(c);
    out.push({
      topic: `${prefix}/button/${node}/${id}/config`,
      payload: { name: c, unique_id: `${node}_cmd_${id}`, command_topic: topics.command, payload_press: c, entity_category: 'config', ...common },
    });
  }
  return out;
}

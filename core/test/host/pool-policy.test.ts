import { describe, expect, it } from 'vitest';
import { instancesPerWorker, MEASURED_INSTANCES_PER_WORKER } from '../../src/host/pool-policy.js';
import type { InstanceSpec } from '../../src/host/worker-protocol.js';

const spec = (driver: string) => ({ driver }) as InstanceSpec;

describe('instances per worker', () => {
  it('auto: the measured plugins share workers, any other gets one each', () => {
    const auto = { workersPerInstance: 'auto' as const };
    expect(['dummy-ups', 'snmp-ups', 'apcsmart', 'nutdrv_qx', 'usbhid-ups', 'example-ups'].map((d) => instancesPerWorker(auto, spec(d)))).toEqual([100, 200, 20, 20, 20, 1]);
    expect(Object.keys(MEASURED_INSTANCES_PER_WORKER).sort()).toEqual(['apcsmart', 'dummy-ups', 'nutdrv_qx', 'snmp-ups', 'usbhid-ups']);
  });

  it('instance: one each whatever the measurement or cap; plugin: every plugin shares', () => {
    expect(instancesPerWorker({ workersPerInstance: 'instance', instancesPerWorker: 8 }, spec('apcsmart'))).toBe(1);
    expect(instancesPerWorker({ workersPerInstance: 'plugin' }, spec('example-ups'))).toBe(50);
  });

  it('a cap from the settings wins, per driver or for all', () => {
    const settings = { workersPerInstance: 'auto' as const, instancesPerWorker: { 'usbhid-ups': 3, '*': 2 } };
    expect(instancesPerWorker(settings, spec('usbhid-ups'))).toBe(3);
    expect(instancesPerWorker(settings, spec('apcsmart'))).toBe(2);
    expect(instancesPerWorker({ workersPerInstance: 'auto', instancesPerWorker: 1 }, spec('nutdrv_qx'))).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { parseUpsConf } from '../../src/config/ups-conf.js';
import { applyUpsConf, emptySettings, SettingsError, storeValue, toInstanceSpec } from '../../src/driver/settings.js';
import type { PluginManifest } from '../../src/plugins/manifest.js';

const manifest: PluginManifest = {
  driver: 'fake-ups',
  kind: 'software',
  description: 'Fake driver',
  version: '1.0',
  entry: 'src/index.ts',
  options: {
    type: 'object',
    properties: {
      mode: { type: 'string', description: 'Mode' },
      community: { type: 'string', description: 'Secret', sensitive: true },
      quirk: { type: 'boolean', description: 'A flag' },
    },
  },
};

function fromConf(text: string, name = 'u') {
  const conf = parseUpsConf(text);
  const s = emptySettings('fake-ups', name);
  applyUpsConf(s, conf, conf.sections.find((x) => x.name === name)!, manifest);
  return s;
}

describe('standalone driver settings (drivers/main.c storeval)', () => {
  it('core keys, driver variables, flags, override/default, globals', () => {
    const s = fromConf(
      'pollinterval = 7\nsynchronous = yes\n[u]\n driver = fake-ups\n port = /dev/x\n desc = "d"\n sdorder = 2\n mode = fast\n community = s3cret\n quirk\n nolock\n override.ups.mfr = M\n default.battery.charge = 5\n',
    );
    expect(s).toMatchObject({ port: '/dev/x', pollinterval: 7, synchronous: 'yes' });
    expect(s.options).toEqual([
      ['mode', 'fast'],
      ['community', 's3cret'],
      ['quirk', true],
      ['nolock', true],
    ]);
    expect(s.overrides).toEqual([['ups.mfr', 'M']]);
    expect(s.defaults).toEqual([['battery.charge', '5']]);
    const spec = toInstanceSpec(s, manifest, { entryPath: '/e', confPath: '/c' }, 0);
    expect(spec.sensitive).toEqual(['community']);
    expect(spec.options).toEqual({ mode: 'fast', community: 's3cret', quirk: true, nolock: true });
  });

  it('later -x values override ups.conf; section pollinterval wins over the global one', () => {
    const s = fromConf('pollinterval = 7\n[u]\n driver = fake-ups\n port = a\n pollinterval = 3\n mode = one\n');
    storeValue(s, manifest, 'mode', 'two', true);
    storeValue(s, manifest, 'port', 'b', true);
    expect(s.options).toEqual([['mode', 'two']]);
    expect(s.port).toBe('b');
    expect(s.pollinterval).toBe(3);
  });

  it('unknown variables: NUT wording, exit 0, a hint; pollinterval only from ups.conf or -i', () => {
    const s = emptySettings('fake-ups', 'u');
    const e = (() => {
      try {
        storeValue(s, manifest, 'mdoe', 'x', true);
      } catch (err) {
        return err as SettingsError;
      }
    })();
    expect(e).toBeInstanceOf(SettingsError);
    expect(e!.exitCode).toBe(0);
    expect(e!.message).toContain("Fatal error: 'mdoe' is not a valid variable name for this driver.");
    expect(e!.message).toContain("did you mean 'mode'?");
    expect(() => storeValue(s, manifest, 'bogusflag', true, true)).toThrow("'bogusflag' is not a valid flag for this driver.");
    expect(() => storeValue(s, manifest, 'pollinterval', '5', true)).toThrow(/-i <seconds>/);
  });

  it('a section for another driver is refused with exit 1', () => {
    expect(() => fromConf('[u]\n driver = usbhid-ups\n port = auto\n')).toThrow("Error: UPS [u] is for driver usbhid-ups, but I'm fake-ups!");
  });
});

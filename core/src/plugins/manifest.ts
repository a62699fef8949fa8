/**
 * The `"nut-ts"` field of a plugin's package.json. Validated against
 * schemas/plugin-manifest.schema.json when discovered.
 */
import type { OptionsSchema } from '../config/options-schema.js';

export type { OptionSchema, OptionsSchema } from '../config/options-schema.js';

export type PluginKind = 'hid' | 'snmp' | 'serial' | 'software';

export interface UsbMatch {
  vendorId: string;
  productId?: string;
  /** Regular expressions the USB manufacturer / product strings must match. */
  manufacturer?: string;
  product?: string;
  /** Subdriver (or table) the device selects. */
  subdriver?: string;
}

export interface SnmpMatch {
  sysObjectId: string;
  /** The mapping (mibs= value) this sysObjectID selects. */
  table?: string;
}

/** A serial probe: line settings, bytes to send (C escapes), answer pattern. `probe` is the v1 form. */
export interface SerialMatch {
  probe?: string;
  baudRate?: number;
  dataBits?: 5 | 6 | 7 | 8;
  parity?: 'none' | 'even' | 'odd' | 'mark' | 'space';
  stopBits?: 1 | 1.5 | 2;
  dtr?: boolean;
  rts?: boolean;
  send?: string;
  expect?: string;
  timeoutMs?: number;
  subdriver?: string;
  /** Sent once on a port before the driver's first command, answer discarded (ends a partial line). */
  clear?: string;
  /** Further commands on the same open line; every answer must match. */
  then?: SerialStep[];
  /** ups.conf settings the match implies (nutdrv_qx: `protocol`). */
  options?: Record<string, string>;
}

export interface SerialStep {
  send: string;
  expect: string;
  timeoutMs?: number;
}

export interface PluginMatch {
  usb?: UsbMatch[];
  snmp?: SnmpMatch[];
  serial?: SerialMatch[];
}

export interface PluginManifest {
  /** Name used as `driver =` in ups.conf. */
  driver: string;
  /** One kind, or several where a driver speaks more than one transport (nutdrv_qx). */
  kind: PluginKind | PluginKind[];
  /** Long name for the banner: "Network UPS Tools - <description> <version> (<nut version>)". */
  description: string;
  /** driver.version.internal. */
  version: string;
  /** semver range of nut-ts core versions the plugin works with; checked before it is loaded. */
  core?: string;
  /** Module run in the worker, relative to the package directory (.ts or .js). */
  entry?: string;
  options?: OptionsSchema;
  match?: PluginMatch;
  /** Another plugin's driver name whose engine this plugin's tables feed. */
  extends?: string;
  /** Table files (relative paths) for table-driven engines. */
  tables?: string[];
  /** Module whose named exports are converters the package's tables refer to (run in the worker). */
  converters?: string;
  /** Prints NUT's experimental-driver warning at start. */
  experimental?: boolean;
  /** A device simulator (`nut simulate <driver or alias>`): module whose default export is main(args). */
  simulator?: { entry: string; aliases?: string[] };
}

/** The kinds of a manifest as a list. */
export function pluginKinds(manifest: Pick<PluginManifest, 'kind'>): PluginKind[] {
  return Array.isArray(manifest.kind) ? manifest.kind : [manifest.kind];
}

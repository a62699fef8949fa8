/**
 * The `"nut-ts"` field of a plugin's package.json. Validated against
 * schemas/plugin-manifest.schema.json when discovered.
 */
export type PluginKind = 'hid' | 'snmp' | 'serial' | 'software';

/** JSON Schema (draft 2020-12 subset) of a driver's ups.conf options; see schemas/. */
export interface OptionsSchema {
  type: 'object';
  properties: Record<string, OptionSchema>;
  additionalProperties?: boolean;
}

export interface OptionSchema {
  /** 'boolean' marks a flag (a key with no value); anything else is a value. */
  type: 'string' | 'integer' | 'number' | 'boolean';
  description: string;
  /** Never published as driver.parameter.* (community strings, passwords). */
  sensitive?: boolean;
  default?: string | number | boolean;
  enum?: Array<string | number>;
  pattern?: string;
  minimum?: number;
  maximum?: number;
}

export interface PluginMatch {
  usb?: Array<{ vendorId: string; productId?: string }>;
  snmp?: Array<{ sysObjectId: string }>;
  serial?: Array<{ probe: string }>;
}

export interface PluginManifest {
  /** Name used as `driver =` in ups.conf. */
  driver: string;
  kind: PluginKind;
  /** Long name for the banner: "Network UPS Tools - <description> <version> (<nut version>)". */
  description: string;
  /** driver.version.internal. */
  version: string;
  /** Module run in the worker, relative to the package directory (.ts or .js). */
  entry?: string;
  options?: OptionsSchema;
  match?: PluginMatch;
  /** Another plugin's driver name whose engine this plugin's tables feed. */
  extends?: string;
  /** Table files (relative paths) for table-driven engines. */
  tables?: string[];
  /** Prints NUT's experimental-driver warning at start. */
  experimental?: boolean;
  /** A device simulator (`nut simulate <driver or alias>`): module whose default export is main(args). */
  simulator?: { entry: string; aliases?: string[] };
}

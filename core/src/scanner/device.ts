/** A found device, as NUT's nutscan_device_t: type, driver, port and ordered options. */

/** NUT's types; serial results (`-E`) keep NUT's EATON_SERIAL label whatever the plugin. */
export type DeviceType = 'USB' | 'SNMP' | 'XML' | 'NUT' | 'AVAHI' | 'IPMI' | 'EATON_SERIAL';

export interface ScanDevice {
  type: DeviceType;
  driver: string;
  port: string;
  /** In insertion order; a value of undefined prints the bare name. */
  options: Array<[string, string | undefined]>;
  /** The subdriver a plugin manifest names for it (shown by --json; NUT's formats have no place for it). */
  subdriver?: string;
}

/** The order NUT prints the scan types in. */
export const TYPE_ORDER: readonly DeviceType[] = ['USB', 'SNMP', 'XML', 'NUT', 'AVAHI', 'IPMI', 'EATON_SERIAL'];

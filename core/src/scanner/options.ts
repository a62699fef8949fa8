/** nut-scanner's command line (NUT 2.8.0's options, plus `--json` and `--write <file>`). */
import { cAtoi } from '../config/c-numbers.js';
import { getoptLong, type LongOption } from './getopt-long.js';
import type { SnmpCredentials } from './snmp.js';

export const OPTSTRING = '?ht:T:s:e:E:c:l:u:W:X:w:x:p:b:B:d:L:CUSMOAm:NPqIVaD';

const LONGOPTS: LongOption[] = [
  ['timeout', 't'], ['thread', 'T'], ['start_ip', 's'], ['end_ip', 'e'], ['eaton_serial', 'E'], ['mask_cidr', 'm'],
  ['community', 'c'], ['secLevel', 'l'], ['secName', 'u'], ['authPassword', 'W'], ['privPassword', 'X'],
  ['authProtocol', 'w'], ['privProtocol', 'x'], ['username', 'b'], ['password', 'B'], ['authType', 'd'],
  ['cipher_suite_id', 'L'], ['port', 'p'],
].map(([name, short]) => ({ name, short, hasArg: true }) as LongOption).concat(
  [
    ['complete_scan', 'C'], ['usb_scan', 'U'], ['snmp_scan', 'S'], ['xml_scan', 'M'], ['oldnut_scan', 'O'],
    ['avahi_scan', 'A'], ['ipmi_scan', 'I'], ['disp_nut_conf', 'N'], ['disp_parsable', 'P'], ['quiet', 'q'],
    ['help', 'h'], ['version', 'V'], ['available', 'a'], ['nut_debug_level', 'D'],
  ].map(([name, short]) => ({ name, short, hasArg: false })),
);

export const DEFAULT_TIMEOUT_S = 5;
export const DEFAULT_THREADS = 512;

/** Scan types this build offers (XML/HTTP and IPMI are not). */
export const AVAILABLE = ['OLDNUT', 'USB', 'SNMP', 'AVAHI', 'EATON_SERIAL'];

export interface ScannerOptions {
  usb: boolean;
  snmp: boolean;
  oldnut: boolean;
  avahi: boolean;
  /** `-E` ports (serial probes run only when given). */
  serial?: string;
  timeoutMs: number;
  threads: number;
  startIp?: string;
  endIp?: string;
  cidr?: string;
  /** `-p`: upsd port for the NUT-server scan. */
  upsdPort: number;
  snmp_: SnmpCredentials;
  format: 'nutconf' | 'parsable' | 'json';
  quiet: boolean;
  debug: number;
  /** `--write <file>`: merge the result into this ups.conf. */
  write?: string;
}

export type ParseResult =
  | { kind: 'run'; options: ScannerOptions }
  | { kind: 'help'; status: number; error: boolean }
  | { kind: 'print'; text: string };

/** Our additions, taken out before NUT's options are parsed. */
function takeExtras(argv: readonly string[]): { json: boolean; write?: string; snmpVersion?: string; args: string[] } {
  const args: string[] = [];
  let json = false;
  let write: string | undefined;
  let snmpVersion: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') json = true;
    else if (a === '--write' && i + 1 < argv.length) write = argv[++i];
    else if (a.startsWith('--write=')) write = a.slice(8);
    else if (a === '--snmp_version' && i + 1 < argv.length) snmpVersion = argv[++i];
    else if (a.startsWith('--snmp_version=')) snmpVersion = a.slice(15);
    else args.push(a);
  }
  return { json, write, snmpVersion, args };
}

export function parseScannerArgs(argv: readonly string[], stderr: (s: string) => void): ParseResult {
  const extras = takeExtras(argv);
  const { options: parsed } = getoptLong(extras.args, OPTSTRING, LONGOPTS, 'nut-scanner', stderr);
  const o: ScannerOptions = {
    usb: false,
    snmp: false,
    oldnut: false,
    avahi: false,
    timeoutMs: DEFAULT_TIMEOUT_S * 1000,
    threads: DEFAULT_THREADS,
    upsdPort: 3493,
    snmp_: {},
    format: extras.json ? 'json' : 'nutconf',
    quiet: false,
    debug: 0,
    write: extras.write,
  };
  if (extras.snmpVersion === 'v2c' || extras.snmpVersion === 'v1') o.snmp_.version = extras.snmpVersion;
  let all = false;
  for (const { opt, arg = '' } of parsed) {
    switch (opt) {
      case 't': {
        const s = cAtoi(arg);
        if (s <= 0) {
          stderr(`Illegal timeout value, using default ${DEFAULT_TIMEOUT_S}s\n`);
          o.timeoutMs = DEFAULT_TIMEOUT_S * 1000;
        } else o.timeoutMs = s * 1000;
        break;
      }
      case 'T': {
        const n = cAtoi(arg);
        if (n <= 0) {
          stderr(`WARNING: Requested max scanning thread count ${arg} (${n}) is out of range, using default ${DEFAULT_THREADS}\n`);
          o.threads = DEFAULT_THREADS;
        } else o.threads = n;
        break;
      }
      case 's':
        o.startIp = arg;
        o.endIp ??= arg;
        break;
      case 'e':
        o.endIp = arg;
        o.startIp ??= arg;
        break;
      case 'E':
        o.serial = arg;
        break;
      case 'm':
        o.cidr = arg;
        break;
      case 'c':
        o.snmp_.community = arg;
        break;
      case 'l':
        o.snmp_.secLevel = arg;
        break;
      case 'u':
        o.snmp_.secName = arg;
        break;
      case 'W':
        o.snmp_.authPassword = arg;
        break;
      case 'X':
        o.snmp_.privPassword = arg;
        break;
      case 'w':
        o.snmp_.authProtocol = arg;
        break;
      case 'x':
        o.snmp_.privProtocol = arg;
        break;
      case 'p':
        o.upsdPort = Number(arg);
        break;
      case 'C':
        all = true;
        break;
      case 'U':
        o.usb = true;
        break;
      case 'S':
        o.snmp = true;
        break;
      case 'O':
        o.oldnut = true;
        break;
      case 'A':
        o.avahi = true;
        break;
      case 'N':
        if (!extras.json) o.format = 'nutconf';
        break;
      case 'P':
        if (!extras.json) o.format = 'parsable';
        break;
      case 'q':
        o.quiet = true;
        break;
      case 'D':
        o.debug++;
        break;
      case 'V':
        return { kind: 'print', text: 'Network UPS Tools - 2.8.0\n' };
      case 'a':
        return { kind: 'print', text: AVAILABLE.join('\n') + '\n' };
      case 'h':
        return { kind: 'help', status: 0, error: false };
      case '?':
        return { kind: 'help', status: 255, error: true };
      default:
        // an option of a scan type this build does not offer (XML/HTTP, IPMI): NUT prints the usage, status 0
        return { kind: 'help', status: 0, error: true };
    }
  }
  if (!o.usb && !o.snmp && !o.oldnut && !o.avahi && o.serial === undefined) all = true;
  if (all) o.usb = o.snmp = o.oldnut = o.avahi = true;
  return { kind: 'run', options: o };
}

/** ups.conf through core/src/config's reader, plus the host's small value helpers. */
import { cAtoi } from '../config/c-numbers.js';
import { formatProblem } from '../config/problems.js';
import { parseUpsConf, readUpsConf, type ConfValue, type UpsConf, type UpsConfSection } from '../config/ups-conf.js';

export { parseUpsConf, readUpsConf, type ConfValue, type UpsConf, type UpsConfSection };

export function problemLines(conf: UpsConf): string[] {
  return conf.problems.map(formatProblem);
}

export function str(v: ConfValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** C atoi on an optional value; missing (or a flag) gives the default. */
export function int(v: ConfValue | undefined, dflt: number): number {
  return typeof v === 'string' ? cAtoi(v) : dflt;
}

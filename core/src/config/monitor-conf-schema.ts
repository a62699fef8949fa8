/**
 * Schema checks of upsmon.conf and upssched.conf (schemas/*.schema.json) on the typed data the
 * readers return. Kept apart from the readers so that upssched, which runs at every event,
 * does not load ajv.
 */
import { allowedBy, pointerParts, severityOf, validatorFor, type SchemaName } from './schemas.js';
import { locations, readUpsmonConf, type ConfigProblem, type UpsmonConfResult } from './upsmon-conf.js';
import { readUpsschedConf, type UpsschedConfResult } from './upssched-conf.js';

/** Checks typed data against schemas/<name>.schema.json; problems name the key and what is allowed. */
export function schemaProblems(name: SchemaName, data: unknown, file: string, locate: (path: string[]) => { line: number; key?: string }): ConfigProblem[] {
  const validate = validatorFor(name);
  if (validate(data)) return [];
  const out: ConfigProblem[] = [];
  for (const err of validate.errors ?? []) {
    // oneOf reports every branch; the specific branch errors say more
    if (err.keyword === 'oneOf' || err.keyword === 'const') continue;
    const path = pointerParts(err.instancePath);
    const where = locate(path);
    const key = where.key ?? (path.filter((p) => !/^\d+$/.test(p)).join('.') || undefined);
    const allowed = allowedBy(err);
    out.push({
      file,
      line: where.line,
      ...(key ? { key } : {}),
      severity: severityOf(err),
      message: `${file}${where.line ? ` line ${where.line}` : ''}: ${key ?? 'value'}${path.length > 1 && where.key ? ` ${path.slice(-1)[0]}` : ''} ${err.message ?? 'is invalid'}${allowed ? ` (allowed: ${allowed})` : ''}`,
    });
  }
  return out;
}

/** The reader's problems plus the schema's. */
export function checkUpsmonConf(r: UpsmonConfResult): UpsmonConfResult {
  const locate = locations.get(r.config) ?? (() => ({ line: 0 }));
  return { config: r.config, problems: [...r.problems, ...schemaProblems('upsmon.conf', r.config, r.config.file, locate)] };
}

export function checkUpsschedConf(r: UpsschedConfResult): UpsschedConfResult {
  const locate = locations.get(r.config) ?? (() => ({ line: 0 }));
  return { config: r.config, problems: [...r.problems, ...schemaProblems('upssched.conf', r.config, r.config.file, locate)] };
}

export const readCheckedUpsmonConf = (path: string): UpsmonConfResult => checkUpsmonConf(readUpsmonConf(path));
export const readCheckedUpsschedConf = (path: string): UpsschedConfResult => checkUpsschedConf(readUpsschedConf(path));

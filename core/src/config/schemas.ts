/**
 * The JSON Schemas in schemas/ and one ajv instance that compiles each of them once. Schemas
 * carry two annotations of ours: `severity` (error | warning: does NUT refuse a violation or go
 * on?) and `cParse` (`atoi`: NUT reads the number with atoi, so `2s` is 2 and `abc` is 0).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import type { Severity } from './problems.js';

export type SchemaName = 'ups.conf' | 'upsd.conf' | 'upsd.users' | 'nut.conf' | 'host-settings' | 'upsmon.conf' | 'upssched.conf';

/** schemas/ at the repository root (three levels up from core/src/config and core/dist/config). */
export const SCHEMA_DIR = new URL('../../../schemas/', import.meta.url);

export interface JsonSchema {
  [key: string]: unknown;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  $defs?: Record<string, JsonSchema>;
  enum?: unknown[];
  severity?: Severity;
  cParse?: 'atoi';
  sensitive?: boolean;
  description?: string;
}

const ANNOTATIONS = ['severity', 'cParse', 'sensitive'];

// ajv is loaded on the first compile, not with this module: the plugin API re-exports
// compileJsonSchema, and a driver worker that never validates anything should not pay for it.
const requireCjs = createRequire(import.meta.url);

function makeAjv(strict: boolean): Ajv2020 {
  const { Ajv2020 } = requireCjs('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const ajv = new Ajv2020({ allErrors: true, verbose: true, strict, allowUnionTypes: true });
  for (const keyword of ANNOTATIONS) ajv.addKeyword({ keyword });
  return ajv;
}

let strictAjv: Ajv2020 | undefined;
/** For schemas that come from plugins: unknown keywords are ignored, not fatal. */
let lenientAjv: Ajv2020 | undefined;
const loaded = new Map<SchemaName, JsonSchema>();
const compiled = new Map<SchemaName, ValidateFunction>();

export function loadSchema(name: SchemaName): JsonSchema {
  let schema = loaded.get(name);
  if (!schema) {
    schema = JSON.parse(readFileSync(new URL(`${name}.schema.json`, SCHEMA_DIR), 'utf8')) as JsonSchema;
    loaded.set(name, schema);
  }
  return schema;
}

/** The compiled validator of one schema file (compiled on first use, then reused). */
export function validatorFor(name: SchemaName): ValidateFunction {
  let v = compiled.get(name);
  if (!v) {
    strictAjv ??= makeAjv(true);
    v = strictAjv.compile(loadSchema(name));
    compiled.set(name, v);
  }
  return v;
}

/** The validator of one `$defs` entry of a schema file (e.g. ups.conf's `global`). */
export function validatorForDef(name: SchemaName, def: string): ValidateFunction {
  const root = validatorFor(name);
  const id = (root.schema as JsonSchema).$id as string;
  const v = strictAjv!.getSchema(`${id}#/$defs/${def}`);
  if (!v) throw new Error(`schemas/${name}.schema.json has no $defs/${def}`);
  return v;
}

/** Compiles a schema assembled at run time (a driver's section schema); throws if invalid. */
export function compileLenient(schema: JsonSchema): ValidateFunction {
  lenientAjv ??= makeAjv(false);
  return lenientAjv.compile(schema);
}

export type { ErrorObject, ValidateFunction };

/** Severity of an ajv error: the `severity` annotation of the schema that failed, else error. */
export function severityOf(err: ErrorObject): Severity {
  const s = (err.parentSchema as JsonSchema | undefined)?.severity;
  return s === 'warning' ? 'warning' : 'error';
}

/** A short phrase for what the failed keyword allows (`one of: yes, no, auto`, `>= 1`). */
export function allowedBy(err: ErrorObject): string | undefined {
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'enum':
      return `one of: ${(p.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `${p.comparison} ${p.limit}`;
    case 'type':
      return String(p.type).replace(',', ' or ');
    case 'pattern':
      return `text matching ${p.pattern}`;
    case 'minLength':
      return p.limit === 1 ? 'a non-empty value' : `at least ${p.limit} characters`;
    default:
      return undefined;
  }
}

/** `/sections/my ups/port` → ['sections', 'my ups', 'port'] (JSON pointer, RFC 6901). */
export function pointerParts(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

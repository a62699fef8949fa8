/**
 * Validation of a package's "nut-ts" field against schemas/plugin-manifest.schema.json, with
 * messages a plugin author can act on (path, what is allowed, likely intended key).
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import * as addFormatsModule from 'ajv-formats';
import { closest } from '../config/suggest.js';
import type { PluginManifest } from './manifest.js';

export { closest };

type FormatsPlugin = (ajv: Ajv) => Ajv;
// ajv-formats is CommonJS with `exports.default`; under NodeNext the callable sits one level down.
const addFormats = ((addFormatsModule as unknown as { default: FormatsPlugin | { default: FormatsPlugin } }).default as { default?: FormatsPlugin }).default ??
  ((addFormatsModule as unknown as { default: FormatsPlugin }).default);

export const MANIFEST_SCHEMA_FILE = 'plugin-manifest.schema.json';

/** The repository's schemas/ directory, found upward from this module (core/dist/plugins or core/src/plugins). */
export function schemasDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'schemas');
    if (existsSync(join(candidate, MANIFEST_SCHEMA_FILE))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`cannot find schemas/${MANIFEST_SCHEMA_FILE} above ${fileURLToPath(import.meta.url)}`);
}

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    const schema = JSON.parse(readFileSync(join(schemasDir(), MANIFEST_SCHEMA_FILE), 'utf8')) as object;
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    compiled = ajv.compile(schema);
  }
  return compiled;
}

function knownKeys(schemaPath: string): string[] {
  // Keys allowed where an additionalProperties error was raised, from the schema itself.
  const schema = JSON.parse(readFileSync(join(schemasDir(), MANIFEST_SCHEMA_FILE), 'utf8')) as Record<string, unknown>;
  let node: unknown = schema;
  for (const part of schemaPath.replace(/^#\//, '').split('/').slice(0, -1)) {
    if (node && typeof node === 'object') node = (node as Record<string, unknown>)[part];
  }
  const props = node && typeof node === 'object' ? (node as Record<string, unknown>).properties : undefined;
  return props && typeof props === 'object' ? Object.keys(props) : [];
}

function describe(err: ErrorObject): string {
  const where = err.instancePath === '' ? '"nut-ts"' : `"nut-ts"${err.instancePath}`;
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const hint = closest(key, knownKeys(err.schemaPath));
      return `${where}: unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}`;
    }
    case 'required':
      return `${where}: missing required key "${String(p.missingProperty)}"`;
    case 'enum':
      return `${where}: must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'anyOf':
      return `${where}: needs "entry" (a module to run) or "extends" (an engine plugin to feed)`;
    default:
      return `${where}: ${err.message ?? err.keyword}`;
  }
}

export type ManifestCheck = { ok: true; manifest: PluginManifest } | { ok: false; problems: string[] };

/** Schema check only (files referenced by the manifest are checked by the registry). */
export function validateManifest(value: unknown): ManifestCheck {
  const validate = validator();
  if (validate(value)) return { ok: true, manifest: value as PluginManifest };
  const all = validate.errors ?? [];
  // `kind` is one kind or a list of them: when the value is neither, say which kinds exist.
  const enumAt = new Set(all.filter((e) => e.keyword === 'enum').map((e) => e.instancePath));
  const errors = all.filter((e) => e.keyword !== 'if' && !((e.keyword === 'oneOf' || e.keyword === 'type') && enumAt.has(e.instancePath)));
  // anyOf failures repeat each branch's "required"; keep the summary only.
  const anyOfFailed = errors.some((e) => e.keyword === 'anyOf' && e.instancePath === '');
  const problems = errors
    .filter((e) => !(anyOfFailed && e.keyword === 'required' && e.schemaPath.startsWith('#/anyOf/')))
    .map(describe);
  return { ok: false, problems: [...new Set(problems)] };
}

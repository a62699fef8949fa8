/**
 * Validation of a parsed ups.conf: the global keys against schemas/ups.conf.schema.json, each
 * section against the core driver options plus its driver plugin's options schema. NUT's
 * acceptance rules decide the severity: what NUT 2.8.0 refuses is an error, what it accepts
 * (even oddly) is at most a warning.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { OptionsSchema } from './options-schema.js';
import { cAtof, cAtoi, isCleanInteger, isCleanNumber } from './c-numbers.js';
import { problem, type ConfigProblem, type Severity } from './problems.js';
import {
  allowedBy,
  compileLenient,
  loadSchema,
  pointerParts,
  severityOf,
  validatorForDef,
  type ErrorObject,
  type JsonSchema,
  type ValidateFunction,
} from './schemas.js';
import { closest } from './suggest.js';
import type { ConfValue, UpsConf, UpsConfEntry, UpsConfSection } from './ups-conf.js';

/** What the plugin registry knows about a driver name. */
export type DriverOptionsLookup = (driver: string) => OptionsSchema | undefined | 'unknown-driver';

export interface UpsConfValidationOptions {
  /** Options schema of a driver's plugin; without it, driver-specific keys are not checked. */
  lookupDriver?: DriverOptionsLookup;
  /** Driver names the registry knows, for "did you mean" on an unknown driver. */
  knownDrivers?: readonly string[];
  /**
   * Directory of NUT's C drivers. An unknown driver that exists there is a warning (nut-ts can
   * attach NUT's own driver) instead of an error. Default: ups.conf `driverpath`, else /lib/nut.
   * `false` disables the check.
   */
  cDriverPath?: string | false;
  /** upsd.conf ALLOW_NO_DEVICE: no section at all is then fine. */
  allowNoDevice?: boolean;
}

const OVERRIDE_OR_DEFAULT = /^(override|default)\./i;

function upsConfDefs(): { global: JsonSchema; core: JsonSchema; globalOnly: string[] } {
  const defs = loadSchema('ups.conf').$defs as Record<string, JsonSchema>;
  const core = Object.keys(defs.driverCore.properties ?? {});
  // global keys NUT 2.8.0's drivers refuse inside a section ("not a valid variable name")
  const globalOnly = Object.keys(defs.global.properties ?? {}).filter((k) => !core.includes(k));
  return { global: defs.global, core: defs.driverCore, globalOnly };
}

function isFlagOption(schema: JsonSchema): boolean {
  return schema.type === 'boolean';
}

/** A value as ajv should see it: numbers for numeric options, read like NUT reads them. */
function convert(
  value: ConfValue,
  option: JsonSchema,
  note: (severity: Severity, message: string) => void,
  key: string,
  shown: string,
): unknown {
  if (value === true) return true;
  const numeric = option.type === 'integer' || option.type === 'number';
  if (!numeric) return value;
  const integer = option.type === 'integer';
  if (integer ? isCleanInteger(value) : isCleanNumber(value)) return integer ? cAtoi(value) : cAtof(value);
  const read = integer ? cAtoi(value) : cAtof(value);
  if (option.cParse === 'atoi') {
    note('warning', `value '${shown}' of '${key}' is not a plain number; NUT reads it as ${read}`);
    return read;
  }
  return value;
}

interface ScopeCheck {
  file: string;
  section?: string;
  sectionLine: number;
  entries: Map<string, UpsConfEntry>;
  /** key as written → schema property name (plugin options match case-insensitively). */
  canonical: (key: string) => string | undefined;
  options: Record<string, JsonSchema>;
  /** Options that belong to the plugin (flag/value mix-ups there are accepted by NUT). */
  pluginKeys: Set<string>;
  validate: ValidateFunction;
  unknownKey: (key: string) => { message: string; severity?: Severity; allowed?: string; suggestion?: string };
  sensitive: Set<string>;
}

function checkScope(c: ScopeCheck, problems: ConfigProblem[]): void {
  const data: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const lineOf = new Map<string, number>();
  const written = new Map<string, string>();
  for (const [key, entry] of c.entries) {
    if (c.section !== undefined && OVERRIDE_OR_DEFAULT.test(key)) continue;
    const name = c.canonical(key) ?? key;
    lineOf.set(name, entry.line);
    written.set(name, key);
    const option = Object.hasOwn(c.options, name) ? c.options[name] : undefined;
    const note = (severity: Severity, message: string) =>
      problems.push(problem(severity, c.file, entry.line, message, { section: c.section, key }));
    if (!option) {
      data[name] = entry.value;
      continue;
    }
    const plugin = c.pluginKeys.has(name);
    const shown = option.sensitive ? '***' : String(entry.value);
    if (isFlagOption(option) && entry.value !== true) {
      note(
        'warning',
        plugin
          ? `'${key}' is a flag: write it alone on its line (NUT passes the value '${shown}' on, the driver only looks for the flag)`
          : `'${key}' is a flag: write it alone on its line; the value '${shown}' is ignored`,
      );
      data[name] = true;
      continue;
    }
    if (!isFlagOption(option) && entry.value === true) {
      if (plugin) note('warning', `'${key}' needs a value ('${key} = …'); written alone NUT only sets driver.flag.${key}`);
      else note('error', `'${key}' needs a value ('${key} = …'); NUT refuses it as a flag ("not a valid flag")`);
      continue;
    }
    data[name] = convert(entry.value, option, note, key, shown);
  }
  if (c.validate(data)) return;
  for (const err of c.validate.errors ?? []) {
    const parts = pointerParts(err.instancePath);
    if (err.keyword === 'additionalProperties') {
      const name = String((err.params as { additionalProperty: string }).additionalProperty);
      const key = written.get(name) ?? name;
      const u = c.unknownKey(key);
      problems.push(
        problem(u.severity ?? severityOf(err), c.file, lineOf.get(name) ?? c.sectionLine, u.message, {
          section: c.section,
          key,
          allowed: u.allowed,
          suggestion: u.suggestion,
        }),
      );
      continue;
    }
    if (err.keyword === 'required') {
      const missing = String((err.params as { missingProperty: string }).missingProperty);
      problems.push(
        problem('error', c.file, c.sectionLine, `missing required key '${missing}'; NUT's upsd ignores the incomplete section and no driver starts for it`, {
          section: c.section,
          key: missing,
        }),
      );
      continue;
    }
    if (parts.length !== 1) continue;
    problems.push(valueProblem(err, c, parts[0], written.get(parts[0]) ?? parts[0], lineOf.get(parts[0]) ?? c.sectionLine));
  }
}

function valueProblem(err: ErrorObject, c: ScopeCheck, name: string, key: string, line: number): ConfigProblem {
  const shown = c.sensitive.has(name) ? '***' : String(err.data);
  const allowed = allowedBy(err);
  const suggestion =
    err.keyword === 'enum' && typeof err.data === 'string'
      ? closest(err.data, (err.params as { allowedValues: unknown[] }).allowedValues.map(String))
      : undefined;
  const severity = severityOf(err);
  const why =
    err.keyword === 'enum' ? (severity === 'warning' ? 'is not a known value' : 'is not allowed') : (err.message ?? 'is not valid');
  return problem(severity, c.file, line, `value '${shown}' of '${key}' ${why}`, {
    section: c.section,
    key,
    allowed: suggestion === undefined && err.keyword !== 'pattern' ? allowed : undefined,
    suggestion,
  });
}

/** Compiled section schemas: by plugin schema object, and by content (a registry may hand out copies). */
const byIdentity = new WeakMap<object, ValidateFunction>();
const byContent = new Map<string, ValidateFunction>();
const OPEN = {};
const CORE_ONLY = {};

interface DriverSchema {
  validate: ValidateFunction;
  options: Record<string, JsonSchema>;
  pluginKeys: Set<string>;
  /** Why the plugin's options schema could not be used (then only core keys are checked). */
  invalid?: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function driverSchema(core: JsonSchema, plugin: OptionsSchema | undefined, open: boolean): DriverSchema {
  const coreProps = core.properties ?? {};
  const pluginProps: Record<string, JsonSchema> = {};
  const pluginKeys = new Set<string>();
  const given: unknown = plugin?.properties;
  if (plugin !== undefined && !isRecord(given)) {
    return { ...driverSchema(core, undefined, true), invalid: "it has no 'properties' object" };
  }
  for (const [name, opt] of Object.entries(given ?? {})) {
    if (Object.hasOwn(coreProps, name)) continue;
    pluginProps[name] = isRecord(opt) ? ({ ...opt } as JsonSchema) : {};
    pluginKeys.add(name);
  }
  const options = { ...coreProps, ...pluginProps };
  const identity = open ? OPEN : (plugin ?? CORE_ONLY);
  let validate = byIdentity.get(identity);
  if (!validate) {
    const schema: JsonSchema = {
      type: 'object',
      properties: options,
      required: core.required as string[],
      additionalProperties: open || plugin?.additionalProperties === true,
    };
    const content = JSON.stringify(schema);
    validate = byContent.get(content);
    if (!validate) {
      try {
        validate = compileLenient(schema);
      } catch (e) {
        return { ...driverSchema(core, undefined, true), invalid: (e as Error).message };
      }
      byContent.set(content, validate);
    }
    byIdentity.set(identity, validate);
  }
  return { validate, options, pluginKeys };
}

export function validateUpsConf(conf: UpsConf, opts: UpsConfValidationOptions = {}): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { global, core, globalOnly } = upsConfDefs();
  const globalKeys = Object.keys(global.properties ?? {});
  const coreKeys = Object.keys(core.properties ?? {});

  checkScope(
    {
      file: conf.file,
      sectionLine: 0,
      entries: conf.globalEntries,
      canonical: (k) => k,
      options: global.properties ?? {},
      pluginKeys: new Set(),
      validate: validatorForDef('ups.conf', 'global'),
      sensitive: new Set(),
      unknownKey: (key) => {
        if (coreKeys.includes(key)) {
          return { message: `'${key}' before the first [section] belongs to no device; NUT ignores it`, severity: 'warning' };
        }
        const suggestion = closest(key, globalKeys);
        return {
          message: `global key '${key}' is not used by NUT (ignored)`,
          suggestion,
          allowed: suggestion ? undefined : globalKeys.join(', '),
        };
      },
    },
    problems,
  );

  if (conf.sections.length === 0 && !opts.allowNoDevice) {
    problems.push(
      problem('error', conf.file, 0, 'no device section: NUT refuses to start ("at least one UPS must be defined in ups.conf") unless upsd.conf sets ALLOW_NO_DEVICE'),
    );
  }

  const driverPath =
    opts.cDriverPath === false ? undefined : (opts.cDriverPath ?? (typeof conf.global.get('driverpath') === 'string' ? (conf.global.get('driverpath') as string) : '/lib/nut'));

  for (const section of conf.sections) validateSection(conf.file, section, core, coreKeys, globalOnly, opts, driverPath, problems);
  return problems;
}

/** NUT's C drivers installed in the driver path (for "did you mean"); none if it cannot be read. */
function cDriverNames(driverPath: string | undefined): string[] {
  if (driverPath === undefined) return [];
  try {
    return readdirSync(driverPath);
  } catch {
    return [];
  }
}

function validateSection(
  file: string,
  section: UpsConfSection,
  core: JsonSchema,
  coreKeys: string[],
  globalOnly: string[],
  opts: UpsConfValidationOptions,
  driverPath: string | undefined,
  problems: ConfigProblem[],
): void {
  const at = (severity: Severity, line: number, message: string, extra: { key?: string; suggestion?: string; allowed?: string } = {}) =>
    problems.push(problem(severity, file, line, message, { section: section.name, ...extra }));
  const driver = section.driver;
  let plugin: OptionsSchema | undefined;
  let open = false;
  if (driver !== undefined && opts.lookupDriver) {
    const found = opts.lookupDriver(driver);
    const line = section.entries.get('driver')?.line ?? section.line;
    if (found === 'unknown-driver') {
      open = true;
      const cDriver = driverPath !== undefined && driver !== '' && !driver.includes('/') ? join(driverPath, driver) : undefined;
      if (cDriver && existsSync(cDriver)) {
        at('warning', line, `no plugin provides driver '${driver}'; nut-ts will run NUT's C driver ${cDriver} and cannot check its options`, { key: 'driver' });
      } else {
        const suggestion = closest(driver, [...(opts.knownDrivers ?? []), ...cDriverNames(driverPath)]);
        at('error', line, `driver '${driver}' is not provided by any plugin${driverPath ? ` nor found in ${driverPath}` : ''}`, {
          key: 'driver',
          suggestion,
          allowed: suggestion === undefined && opts.knownDrivers ? opts.knownDrivers.join(', ') : undefined,
        });
      }
    } else {
      plugin = found;
    }
  } else if (!opts.lookupDriver) {
    open = true;
  }

  for (const [key, entry] of section.entries) {
    if (globalOnly.includes(key)) {
      at('error', entry.line, `'${key}' is a global setting: put it before the first section (NUT's drivers refuse it here: "not a valid variable name")`, { key });
    } else if (key === 'maxstartdelay') {
      at('warning', entry.line, `NUT 2.8.0's C drivers refuse 'maxstartdelay' inside a section (later NUT releases and nut-ts accept it)`, { key });
    } else if (key === 'sddelay') {
      at('warning', entry.line, `'sddelay' is obsolete; NUT logs and ignores it`, { key });
    }
  }

  const schema = driverSchema(core, plugin, open);
  if (schema.invalid !== undefined) {
    at('error', section.entries.get('driver')?.line ?? section.line, `the options schema of driver '${driver}' is invalid (${schema.invalid}); only the core keys are checked`, {
      key: 'driver',
    });
  }
  const lowerPlugin = new Map<string, string>();
  for (const k of schema.pluginKeys) lowerPlugin.set(k.toLowerCase(), k);
  const sensitive = new Set<string>();
  for (const k of schema.pluginKeys) if (schema.options[k].sensitive) sensitive.add(k);
  const entries = new Map([...section.entries].filter(([k]) => !globalOnly.includes(k)));
  checkScope(
    {
      file,
      section: section.name,
      sectionLine: section.line,
      entries,
      canonical: (k) => (coreKeys.includes(k) ? k : lowerPlugin.get(k.toLowerCase())),
      options: schema.options,
      pluginKeys: schema.pluginKeys,
      validate: schema.validate,
      sensitive,
      unknownKey: (key) => {
        const candidates = [...coreKeys, ...schema.pluginKeys];
        const suggestion = closest(key, candidates) ?? (key.includes('.') ? closestPrefix(key) : undefined);
        const caseOnly = suggestion !== undefined && suggestion.toLowerCase() === key.toLowerCase();
        const what = driver === undefined ? `key '${key}' is not a ups.conf key (the section names no driver)` : `key '${key}' is not an option of driver ${driver}`;
        return {
          message: caseOnly ? `${what}: core keys are case-sensitive` : what,
          suggestion,
          allowed: suggestion === undefined ? [...candidates, 'override.<variable>', 'default.<variable>'].join(', ') : undefined,
        };
      },
    },
    problems,
  );
}

/** `overide.battery.charge` → `override.battery.charge`. */
function closestPrefix(key: string): string | undefined {
  const dot = key.indexOf('.');
  const prefix = closest(key.slice(0, dot), ['override', 'default']);
  return prefix ? prefix + key.slice(dot) : undefined;
}

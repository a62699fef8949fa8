/**
 * JSON Schema validation for plugins that load data files (mapping tables): one compiled
 * validator per schema, problems as JSON pointer paths with a message.
 */
import { allowedBy, compileLenient, pointerParts, type ErrorObject, type JsonSchema } from '../config/schemas.js';

export interface SchemaProblem {
  /** Path of the offending value, as keys and array indexes (`['rows', 12, 'multiplier']`). */
  path: Array<string | number>;
  message: string;
}

function problem(err: ErrorObject): SchemaProblem {
  const path = pointerParts(err.instancePath).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const p = err.params as Record<string, unknown>;
  let message: string;
  switch (err.keyword) {
    case 'additionalProperties':
      message = `unknown key "${String(p.additionalProperty)}"`;
      break;
    case 'required':
      message = `missing "${String(p.missingProperty)}"`;
      break;
    case 'not':
    case 'if':
      message = 'has keys that do not go together';
      break;
    default: {
      const allowed = allowedBy(err);
      message = allowed ? `must be ${allowed}` : (err.message ?? err.keyword);
    }
  }
  return { path, message };
}

/** Compiles `schema` once; the function returned lists what is wrong with a value ([] when valid). */
export function compileJsonSchema(schema: object): (value: unknown) => SchemaProblem[] {
  const validate = compileLenient(schema as JsonSchema);
  return (value) => {
    if (validate(value)) return [];
    // An unknown key usually explains the other complaints about its object: report it first.
    const errors = (validate.errors ?? [])
      .filter((e) => e.keyword !== 'if')
      .sort((a, b) => Number(b.keyword === 'additionalProperties') - Number(a.keyword === 'additionalProperties'));
    const seen = new Set<string>();
    return errors.map(problem).filter((p) => {
      const key = `${p.path.join('/')}\n${p.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  };
}

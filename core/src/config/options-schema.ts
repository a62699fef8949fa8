/** What a driver declares about its ups.conf keys (a plugin manifest's `options`), as ups.conf validation reads it. */

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

/** JSON Schemas of the API's requests and responses (Fastify validates and serialises with them). */
export const errorBody = {
  description: 'An error: a NUT error name where one applies (UNKNOWN-UPS, ACCESS-DENIED, READONLY…) and a sentence',
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' } },
  required: ['error', 'message'],
} as const;

export const upsParams = {
  type: 'object',
  properties: { ups: { type: 'string', minLength: 1, description: 'ups.conf section name' } },
  required: ['ups'],
} as const;

export const deviceSummary = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    desc: { type: ['string', 'null'] },
    connected: { type: 'boolean', description: 'Driver attached and its first dump complete' },
    stale: { type: 'boolean' },
    status: { type: ['string', 'null'], description: 'ups.status' },
    values: { type: 'object', additionalProperties: { type: 'string' }, description: 'Every variable: name → value' },
    commands: { type: 'array', items: { type: 'string' } },
  },
  required: ['name', 'desc', 'connected', 'stale', 'status'],
} as const;

export const variableInfo = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    value: { type: 'string' },
    type: { type: 'array', items: { enum: ['RW', 'STRING', 'NUMBER', 'ENUM', 'RANGE'] }, description: 'As GET TYPE answers' },
    writable: { type: 'boolean' },
    maxLength: { type: ['integer', 'null'], description: 'STRING variables: longest value accepted' },
    enum: { type: 'array', items: { type: 'string' } },
    ranges: { type: 'array', items: { type: 'object', properties: { min: { type: 'number' }, max: { type: 'number' } }, required: ['min', 'max'] } },
    description: { type: ['string', 'null'] },
  },
  required: ['name', 'value', 'type', 'writable', 'enum', 'ranges', 'description'],
} as const;

export const commandInfo = {
  type: 'object',
  properties: { name: { type: 'string' }, description: { type: ['string', 'null'] }, allowed: { type: 'boolean', description: 'The caller may run it' } },
  required: ['name', 'description', 'allowed'],
} as const;

export const trackingResult = {
  type: 'object',
  properties: {
    tracking: { type: 'string', description: "NUT's tracking id (also valid for GET TRACKING in upsd's format)" },
    status: { enum: ['PENDING', 'SUCCESS', 'ERR INVALID-ARGUMENT', 'ERR FAILED', 'ERR UNKNOWN'] },
  },
  required: ['tracking', 'status'],
} as const;

export const waitQuery = {
  type: 'object',
  properties: { wait: { type: 'integer', minimum: 0, maximum: 60000, description: 'Wait up to this many ms for the driver’s answer' } },
} as const;

export const eventSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    type: { enum: ['variable', 'status', 'notify', 'driver', 'device', 'command'] },
    device: { type: 'string' },
    time: { type: 'integer' },
    data: { type: 'object' },
  },
  required: ['id', 'type', 'device', 'time', 'data'],
} as const;

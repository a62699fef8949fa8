/** The OpenAPI 3.1 document of the routes as registered: their own JSON Schemas, nothing copied. */
export interface RouteRecord {
  method: string;
  url: string;
  schema?: {
    summary?: string;
    description?: string;
    tags?: string[];
    params?: Record<string, unknown>;
    querystring?: Record<string, unknown>;
    body?: Record<string, unknown>;
    response?: Record<string, Record<string, unknown>>;
    produces?: string[];
  };
}

type Schema = { properties?: Record<string, unknown>; required?: string[] };

function parameters(where: 'path' | 'query', schema: Schema | undefined): unknown[] {
  if (!schema?.properties) return [];
  return Object.entries(schema.properties).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (schema.required ?? []).includes(name),
    schema: s,
  }));
}

export function buildOpenApi(routes: readonly RouteRecord[], version: string, prefix = '/api/v1'): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    if (!r.url.startsWith(prefix) || r.method === 'HEAD') continue;
    const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const s = r.schema ?? {};
    const responses: Record<string, unknown> = {};
    for (const [code, body] of Object.entries(s.response ?? {})) {
      const type = s.produces?.[0] ?? 'application/json';
      responses[code] = { description: (body as { description?: string }).description ?? `HTTP ${code}`, content: { [type]: { schema: body } } };
    }
    if (!Object.keys(responses).length) responses['200'] = { description: 'OK' };
    const op: Record<string, unknown> = {
      operationId: `${r.method.toLowerCase()}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      summary: s.summary,
      description: s.description,
      tags: s.tags,
      parameters: [...parameters('path', s.params as Schema), ...parameters('query', s.querystring as Schema)],
      responses,
    };
    if (s.body) op.requestBody = { required: true, content: { 'application/json': { schema: s.body } } };
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'nut-ts HTTP API', version },
    components: { securitySchemes: { basic: { type: 'http', scheme: 'basic', description: 'A user of upsd.users' } } },
    security: [{ basic: [] }],
    paths,
  };
}

/**
 * Schema validation of the parsed upsd.conf, upsd.users and nut.conf. Each reader already
 * reports what NUT itself complains about while reading; these checks add the value rules of
 * schemas/*.schema.json, with the line of the key that breaks them.
 */
import type { NutConf } from './nut-conf.js';
import { problem, type ConfigProblem } from './problems.js';
import { allowedBy, pointerParts, severityOf, validatorFor, type ErrorObject, type SchemaName } from './schemas.js';
import { closest } from './suggest.js';
import { SERVICES_FILE, tcpServicePort } from './tcp-service.js';
import type { UpsdConf } from './upsd-conf.js';
import type { UpsdUsers } from './upsd-users.js';

interface Located {
  /** JSON pointer of the value → [line, key as written, section]. */
  at: Map<string, { line: number; key: string; section?: string }>;
  data: unknown;
}

function runSchema(name: SchemaName, file: string, located: Located, sensitive: ReadonlySet<string> = new Set()): ConfigProblem[] {
  const validate = validatorFor(name);
  if (validate(located.data)) return [];
  const problems: ConfigProblem[] = [];
  for (const err of validate.errors ?? []) {
    let pointer = err.instancePath;
    // the nearest located ancestor gives the line (array items map to their own entry)
    let where = located.at.get(pointer);
    while (!where && pointer !== '') {
      pointer = pointer.slice(0, pointer.lastIndexOf('/'));
      where = located.at.get(pointer);
    }
    const parts = pointerParts(err.instancePath);
    const key = where?.key ?? parts[parts.length - 1];
    problems.push(describe(err, file, where?.line ?? 0, key, where?.section, sensitive.has(key?.toLowerCase() ?? '')));
  }
  return problems;
}

function describe(err: ErrorObject, file: string, line: number, key: string | undefined, section: string | undefined, secret: boolean): ConfigProblem {
  const severity = severityOf(err);
  const shown = secret ? '***' : String(err.data);
  if (err.keyword === 'additionalProperties') {
    const extra = String((err.params as { additionalProperty: string }).additionalProperty);
    return problem(severity, file, line, `'${extra}' is not a known setting`, { section, key: extra });
  }
  const suggestion =
    err.keyword === 'enum' && typeof err.data === 'string'
      ? closest(err.data, (err.params as { allowedValues: unknown[] }).allowedValues.map(String))
      : undefined;
  const why = err.keyword === 'enum' ? (severity === 'warning' ? 'is not a known value' : 'is not allowed') : (err.message ?? 'is not valid');
  return problem(severity, file, line, `value '${shown}' of '${key ?? '?'}' ${why}`, {
    section,
    key,
    suggestion,
    allowed: suggestion === undefined && err.keyword !== 'pattern' ? allowedBy(err) : undefined,
  });
}

const UPSD_KEYS: Record<string, string> = {
  maxAge: 'MAXAGE',
  trackingDelay: 'TRACKINGDELAY',
  allowNoDevice: 'ALLOW_NO_DEVICE',
  allowNotAllListeners: 'ALLOW_NOT_ALL_LISTENERS',
  maxConn: 'MAXCONN',
  statePath: 'STATEPATH',
  dataPath: 'DATAPATH',
  certFile: 'CERTFILE',
  certPath: 'CERTPATH',
  certIdent: 'CERTIDENT',
  certRequest: 'CERTREQUEST',
  disableWeakSsl: 'DISABLE_WEAK_SSL',
  debugMin: 'DEBUG_MIN',
};

export function validateUpsdConf(conf: UpsdConf): ConfigProblem[] {
  const at: Located['at'] = new Map();
  const data: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const problems: ConfigProblem[] = [];
  data.listen = conf.listen.map((l, i) => {
    at.set(`/listen/${i}`, { line: l.line, key: 'LISTEN' });
    if (/^\d+$/.test(l.port)) {
      const n = Number(l.port);
      if (n > 65535) {
        problems.push(
          problem('warning', conf.file, l.line, `port ${l.port} is above 65535; NUT's upsd (getaddrinfo) listens on ${n % 65536} instead`, {
            key: 'LISTEN',
            allowed: '1-65535 or a service name',
          }),
        );
        return { address: l.address, port: n % 65536 || 65536 };
      }
      return { address: l.address, port: n };
    }
    if (tcpServicePort(l.port) === undefined) {
      problems.push(
        problem('warning', conf.file, l.line, `port '${l.port}' is neither a number nor a TCP service name in ${SERVICES_FILE}; upsd cannot listen there`, {
          key: 'LISTEN',
          allowed: '1-65535 or a service name',
        }),
      );
    }
    return { address: l.address, port: l.port };
  });
  const seen = new Map<string, number>();
  for (const l of conf.listen) {
    const id = `${l.address} ${l.port}`;
    const first = seen.get(id);
    if (first !== undefined) {
      problems.push(problem('warning', conf.file, l.line, `LISTEN ${id} repeats line ${first}; the second listener cannot bind`, { key: 'LISTEN' }));
    } else seen.set(id, l.line);
  }
  for (const [prop, directive] of Object.entries(UPSD_KEYS)) {
    const s = conf[prop as keyof UpsdConf] as { value: unknown; line: number } | undefined;
    if (!s) continue;
    data[prop] = s.value;
    at.set(`/${prop}`, { line: s.line, key: directive });
  }
  return [...problems, ...runSchema('upsd.conf', conf.file, { at, data }, new Set(['certident']))];
}

export function validateUpsdUsers(users: UpsdUsers): ConfigProblem[] {
  const at: Located['at'] = new Map();
  const byName: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const u of users.users) {
    const base = `/users/${u.name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    at.set(base, { line: u.line, key: u.name, section: u.name });
    const entry: Record<string, unknown> = {
      actions: u.actions.map((a, i) => {
        at.set(`${base}/actions/${i}`, { line: a.line, key: 'actions', section: u.name });
        return a.value;
      }),
      instcmds: u.instcmds.map((c, i) => {
        at.set(`${base}/instcmds/${i}`, { line: c.line, key: 'instcmds', section: u.name });
        return c.value;
      }),
    };
    if (u.password) {
      entry.password = u.password.value;
      at.set(`${base}/password`, { line: u.password.line, key: 'password', section: u.name });
    }
    if (u.upsmon) {
      entry.upsmon = u.upsmon.value;
      at.set(`${base}/upsmon`, { line: u.upsmon.line, key: 'upsmon', section: u.name });
    }
    byName[u.name] = entry;
  }
  // the reader already warns about unknown actions; the schema repeats that check for tools
  return runSchema('upsd.users', users.file, { at, data: { users: byName } }, new Set(['password'])).filter(
    (p) => !(p.key === 'actions' && p.severity === 'warning'),
  );
}

export function validateNutConf(conf: NutConf): ConfigProblem[] {
  const at: Located['at'] = new Map();
  const data: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, s] of conf.variables) {
    data[name] = s.value;
    at.set(`/${name}`, { line: s.line, key: name });
  }
  return runSchema('nut.conf', conf.file, { at, data });
}

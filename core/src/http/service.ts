/**
 * The HTTP service: JSON API (/api/v1, OpenAPI at /api/v1/openapi.json), live events as
 * Server-Sent Events, Prometheus /metrics and the web dashboard, over any DeviceDirectory
 * (the host's instances). Users and rights come from upsd.users; nothing is served without
 * credentials unless the settings say so.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifySchema, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Device, DeviceDirectory } from '../dstate/device.js';
import { describeCmd, describeVar } from '../dstate/descriptions.js';
import { FLAG_NUMBER, FLAG_RW, FLAG_STRING } from '../dstate/ops.js';
import type { HttpSettings } from '../config/host-settings.js';
import type { UpsUser } from '../upsd/config.js';
import { TrackingTable } from '../upsd/tracking.js';
import { ANONYMOUS, SESSION_COOKIE, Sessions, UsersFile, cookieValue, type Principal } from './auth.js';
import { EventHub, type HubEvent } from './events.js';
import { History, HISTORY_VARIABLES } from './history.js';
import { renderMetrics, type HostMetrics } from './metrics.js';
import { buildOpenApi, type RouteRecord } from './openapi.js';
import { commandInfo, deviceSummary, errorBody, eventSchema, trackingResult, upsParams, variableInfo, waitQuery } from './schemas.js';

export const API_VERSION = '1.0.0';
const DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/', import.meta.url));
/** A slow event reader is dropped once this much is queued for it. */
const SSE_HIGH_WATER = 1 << 20;
const SSE_HEARTBEAT_MS = 15_000;
/** Streams written per event-loop turn: thousands of them must not hold upsd's clients up. */
const SSE_SLICE = 256;

interface Stream {
  send(e: HubEvent): void;
  end(): void;
  ping(): void;
}

export type HttpLogger = (level: 'info' | 'warn' | 'error', message: string) => void;

type Maybe<T> = T | Promise<T>;

/** What the service shows of the host (answered in place, or asked across a thread). */
export interface HostView {
  instances(): Maybe<HostMetrics['instances']>;
  upsdClients(): Maybe<number | undefined>;
  /** Addresses logged in to a device through upsd (LIST CLIENT). */
  clientsOf(device: Device): Maybe<string[]>;
  mqttConnected?(): Maybe<boolean | undefined>;
}

export interface HttpServiceOptions {
  directory: DeviceDirectory;
  settings: HttpSettings;
  /** Where upsd.users is read from. */
  confPath?: string;
  /** Users given in code instead of upsd.users (tests, embedding). */
  users?: Map<string, UpsUser>;
  host?: HostView;
  /** PEM with certificate and key (upsd.conf CERTFILE), used when settings.tls. */
  certFile?: string;
  log?: HttpLogger;
}

type Access = 'public' | 'read' | 'metrics';

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(listen);
  if (!m) throw new Error(`http.listen: expected host:port, got "${listen}"`);
  return { host: m[1] ?? m[2], port: Number(m[3]) };
}

function varType(node: { flags: number; enums: string[]; ranges: unknown[] }): string[] {
  const t: string[] = [];
  if (node.flags & FLAG_RW) t.push('RW');
  if (node.enums.length) t.push('ENUM');
  if (node.ranges.length) t.push('RANGE');
  if (node.flags & FLAG_STRING) t.push('STRING');
  if (node.flags & FLAG_NUMBER || (!(node.flags & FLAG_STRING) && !node.enums.length && !node.ranges.length)) t.push('NUMBER');
  return t;
}

export class HttpService {
  readonly app: FastifyInstance;
  readonly events: EventHub;
  readonly history: History;
  private readonly users: UsersFile;
  private readonly sessions = new Sessions();
  private readonly tracking = new TrackingTable();
  private readonly routes: RouteRecord[] = [];
  private readonly principals = new WeakMap<FastifyRequest, Principal>();
  private readonly streams = new Set<Stream>();
  private readonly fanout: HubEvent[] = [];
  private fanning = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private openapi: Record<string, unknown> | undefined;
  private readonly log: HttpLogger;
  address: { host: string; port: number } | undefined;

  constructor(private readonly options: HttpServiceOptions) {
    this.log = options.log ?? (() => {});
    const s = options.settings;
    const https = s.tls && options.certFile ? { key: readFileSync(options.certFile), cert: readFileSync(options.certFile) } : undefined;
    if (s.tls && !options.certFile) throw new Error('http.tls needs CERTFILE in upsd.conf');
    this.app = (https ? Fastify({ https, logger: false, bodyLimit: 64 * 1024 }) : Fastify({ logger: false, bodyLimit: 64 * 1024 })) as unknown as FastifyInstance;
    this.users = new UsersFile(options.confPath, options.users);
    this.events = new EventHub(options.directory, s.eventBuffer);
    this.history = new History(options.directory, s.historyIntervalMs, s.historyPoints);
    this.events.subscribe((e) => {
      if (e.type === 'command') this.tracking.set(String(e.data.tracking), Number(e.data.status));
      if (this.streams.size) this.fanOut(e);
    });
    this.app.addHook('onRoute', (r) => {
      for (const m of [r.method].flat()) this.routes.push({ method: m, url: r.url, schema: r.schema as RouteRecord['schema'] });
    });
    this.app.addHook('onRequest', async (req, reply) => this.authorize(req, reply));
    this.app.setErrorHandler((e: Error & { statusCode?: number; code?: string; validation?: unknown }, _req, reply) => {
      if (e instanceof HttpError) return reply.code(e.statusCode).send({ error: e.error, message: e.message });
      const status = e.statusCode && e.statusCode >= 400 && e.statusCode < 600 ? e.statusCode : 500;
      const error = e.validation ? 'INVALID-ARGUMENT' : status === 400 ? 'MALFORMED-REQUEST' : status === 415 ? 'UNSUPPORTED-MEDIA-TYPE' : status === 413 ? 'TOO-LARGE' : 'INTERNAL-ERROR';
      if (status === 500) this.log('error', `http: ${e.stack ?? e.message}`);
      return reply.code(status).send({ error, message: e.message });
    });
    this.app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'NOT-FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` }));
    this.registerApi();
    this.registerDashboard();
  }

  private access(req: FastifyRequest): Access {
    return ((req.routeOptions.config as { access?: Access } | undefined)?.access ?? 'read') as Access;
  }

  private async authorize(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const access = this.access(req);
    const r = this.users.authenticate(req.headers.authorization);
    if (r.ok) {
      this.principals.set(req, r.principal);
      return;
    }
    if (r.reason === 'missing') {
      const name = this.sessions.user(cookieValue(req.headers.cookie, SESSION_COOKIE));
      const principal = name === undefined ? undefined : this.users.principal(name);
      if (principal) {
        this.principals.set(req, principal);
        return;
      }
    }
    const anonymousOk =
      access === 'public' || (r.reason === 'missing' && (this.options.settings.anonymousRead || (access === 'metrics' && this.options.settings.anonymousMetrics)));
    if (anonymousOk) {
      this.principals.set(req, ANONYMOUS);
      return;
    }
    reply.header('www-authenticate', 'Basic realm="nut-ts", charset="UTF-8"');
    if (req.url === '/' && (req.headers.accept ?? '').includes('text/html')) {
      await reply.code(401).type('text/html; charset=utf-8').send('<!doctype html><meta name="viewport" content="width=device-width"><title>nut-ts</title><p>Authentication needed: <a href="/login">log in</a>.</p>');
      return;
    }
    await reply.code(401).send({ error: r.reason === 'missing' ? 'USERNAME-REQUIRED' : 'ACCESS-DENIED', message: r.reason === 'missing' ? 'log in with a user of upsd.users' : 'unknown user or wrong password' });
  }

  private principal(req: FastifyRequest): Principal {
    return this.principals.get(req) ?? ANONYMOUS;
  }

  private device(name: string): Device {
    const d = this.options.directory.get(name);
    if (!d) throw new HttpError(404, 'UNKNOWN-UPS', `no device "${name}"`);
    return d;
  }

  /** upsd's availability rules for SET and INSTCMD. */
  private usable(name: string): Device {
    const d = this.device(name);
    if (!d.connected) throw new HttpError(503, 'DRIVER-NOT-CONNECTED', `the driver of "${d.name}" is not connected`);
    if (d.tree.stale) throw new HttpError(503, 'DATA-STALE', `the data of "${d.name}" is stale`);
    return d;
  }

  private summary(d: Device, full: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {
      name: d.name,
      desc: d.desc ?? null,
      connected: d.connected,
      stale: d.tree.stale,
      status: d.tree.getValue('ups.status') ?? null,
    };
    if (full) {
      out.values = Object.fromEntries(d.tree.list().map((n) => [n.name, n.value]));
      out.commands = [...d.tree.commands()];
    }
    return out;
  }

  private variable(d: Device, name: string): Record<string, unknown> {
    const n = d.tree.get(name);
    if (!n) throw new HttpError(404, 'VAR-NOT-SUPPORTED', `"${d.name}" has no variable "${name}"`);
    return {
      name: n.name,
      value: n.value,
      type: varType(n),
      writable: (n.flags & FLAG_RW) !== 0,
      maxLength: n.flags & FLAG_STRING ? n.aux : null,
      enum: [...n.enums],
      ranges: n.ranges.map((r) => ({ min: r.min, max: r.max })),
      description: describeVar(n.name) ?? null,
    };
  }

  /** Waits up to `ms` for the outcome of a tracked request. */
  private async outcome(id: string, ms: number | undefined): Promise<{ tracking: string; status: string }> {
    if (ms && this.tracking.describe(id) === 'PENDING') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        const unsub = this.events.subscribe((e) => {
          if (e.type === 'command' && String(e.data.tracking).toUpperCase() === id) done();
        });
        function done() {
          clearTimeout(timer);
          unsub();
          resolve();
        }
      });
    }
    return { tracking: id, status: this.tracking.describe(id) };
  }

  private registerApi(): void {
    const app = this.app;
    const p = '/api/v1';
    const err = { 401: errorBody, 403: errorBody, 404: errorBody };
    app.get(`${p}/openapi.json`, { config: { access: 'public' }, schema: { summary: 'This document', tags: ['meta'] } as FastifySchema }, async () => {
      this.openapi ??= buildOpenApi(this.routes, API_VERSION, p);
      return this.openapi;
    });
    const sessionBody = { type: 'object', properties: { user: { type: 'string', minLength: 1 }, password: { type: 'string' } }, required: ['user', 'password'], additionalProperties: false };
    const secure = this.options.settings.tls ? '; Secure' : '';
    app.post(
      `${p}/session`,
      { config: { access: 'public' }, schema: { summary: 'Log in with a upsd.users user: sets an HttpOnly session cookie', tags: ['meta'], body: sessionBody, response: { 200: { type: 'object', properties: { user: { type: 'string' } }, required: ['user'] }, 400: errorBody, 401: errorBody } } },
      async (req, reply) => {
        const { user, password } = req.body as { user: string; password: string };
        const principal = this.users.check(user, password);
        if (!principal?.user) throw new HttpError(401, 'ACCESS-DENIED', 'unknown user or wrong password');
        const token = this.sessions.create(principal.user);
        reply.header('set-cookie', `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${this.sessions.lifetimeSeconds}${secure}`);
        return { user: principal.user };
      },
    );
    app.delete(`${p}/session`, { config: { access: 'public' }, schema: { summary: 'Log out', tags: ['meta'], response: { 204: { type: 'null' } } } as FastifySchema }, async (req, reply) => {
      this.sessions.drop(cookieValue(req.headers.cookie, SESSION_COOKIE));
      reply.header('set-cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0${secure}`);
      return reply.code(204).send();
    });
    app.get(
      `${p}/me`,
      { schema: { summary: 'The caller and its rights', tags: ['meta'], response: { 200: { type: 'object', properties: { user: { type: ['string', 'null'] }, canSet: { type: 'boolean' }, instcmds: { type: 'array', items: { type: 'string' } } }, required: ['user', 'canSet', 'instcmds'] }, 401: errorBody } } },
      async (req) => {
        const me = this.principal(req);
        return { user: me.user ?? null, canSet: me.canSet, instcmds: me.instcmds };
      },
    );
    app.get(`${p}/devices`, { schema: { summary: 'Every device (LIST UPS order)', tags: ['devices'], response: { 200: { type: 'array', items: deviceSummary }, 401: errorBody } } }, async () =>
      this.options.directory.list().map((d) => this.summary(d, false)),
    );
    app.get(`${p}/devices/:ups`, { schema: { summary: 'A device with all its values and commands', tags: ['devices'], params: upsParams, response: { 200: deviceSummary, ...err } } }, async (req) =>
      this.summary(this.device((req.params as { ups: string }).ups), true),
    );
    app.get(
      `${p}/devices/:ups/variables`,
      { schema: { summary: 'Variables with types, enums, ranges and descriptions', tags: ['variables'], params: upsParams, response: { 200: { type: 'array', items: variableInfo }, ...err } } },
      async (req) => {
        const d = this.device((req.params as { ups: string }).ups);
        return d.tree.list().map((n) => this.variable(d, n.name));
      },
    );
    const varParams = { type: 'object', properties: { ups: upsParams.properties.ups, name: { type: 'string', minLength: 1 } }, required: ['ups', 'name'] };
    app.get(`${p}/devices/:ups/variables/:name`, { schema: { summary: 'One variable', tags: ['variables'], params: varParams, response: { 200: variableInfo, ...err } } }, async (req) => {
      const { ups, name } = req.params as { ups: string; name: string };
      return this.variable(this.device(ups), name);
    });
    app.put(
      `${p}/devices/:ups/variables/:name`,
      {
        schema: {
          summary: 'Set a variable (SET VAR); needs the SET action in upsd.users',
          tags: ['variables'],
          params: varParams,
          querystring: waitQuery,
          body: { type: 'object', properties: { value: { type: 'string', maxLength: 256 } }, required: ['value'], additionalProperties: false },
          response: { 200: trackingResult, 202: trackingResult, 400: errorBody, 409: errorBody, 502: errorBody, 503: errorBody, ...err },
        },
      },
      async (req, reply) => {
        const { ups, name } = req.params as { ups: string; name: string };
        const { value } = req.body as { value: string };
        const me = this.principal(req);
        const d = this.usable(ups);
        if (!me.canSet) throw new HttpError(me.user ? 403 : 401, 'ACCESS-DENIED', me.user ? `user "${me.user}" may not set variables (actions = SET in upsd.users)` : 'log in to set variables');
        const node = d.tree.get(name);
        if (!node) throw new HttpError(404, 'VAR-NOT-SUPPORTED', `"${d.name}" has no variable "${name}"`);
        if (!(node.flags & FLAG_RW)) throw new HttpError(409, 'READONLY', `"${node.name}" is read-only`);
        if (node.flags & FLAG_STRING) {
          if (node.aux < 1) throw new HttpError(409, 'SET-FAILED', `"${node.name}" accepts no value`);
          if (value.length > node.aux) throw new HttpError(400, 'TOO-LONG', `at most ${node.aux} characters`);
        }
        if (node.enums.length && !node.enums.includes(value)) throw new HttpError(400, 'INVALID-VALUE', `one of: ${node.enums.join(', ')}`);
        if (node.ranges.length) {
          const n = Number.parseInt(value, 10);
          if (!node.ranges.some((r) => n >= r.min && n <= r.max)) throw new HttpError(400, 'INVALID-VALUE', `in ${node.ranges.map((r) => `${r.min}..${r.max}`).join(', ')}`);
        }
        const id = this.tracking.create();
        if (!d.setvar(node.name, value, id)) throw new HttpError(502, 'SET-FAILED', 'the driver could not be reached');
        const r = await this.outcome(id, (req.query as { wait?: number }).wait);
        return reply.code(r.status === 'PENDING' ? 202 : 200).send(r);
      },
    );
    app.get(
      `${p}/devices/:ups/commands`,
      { schema: { summary: 'Instant commands, with whether the caller may run them', tags: ['commands'], params: upsParams, response: { 200: { type: 'array', items: commandInfo }, ...err } } },
      async (req) => {
        const me = this.principal(req);
        const d = this.device((req.params as { ups: string }).ups);
        return d.tree.commands().map((c) => ({ name: c, description: describeCmd(c) ?? null, allowed: me.canRun(c) }));
      },
    );
    app.post(
      `${p}/devices/:ups/commands/:name`,
      {
        schema: {
          summary: 'Run an instant command (INSTCMD); needs it in the user’s instcmds',
          tags: ['commands'],
          params: { type: 'object', properties: { ups: upsParams.properties.ups, name: { type: 'string', minLength: 1 } }, required: ['ups', 'name'] },
          querystring: waitQuery,
          body: { type: 'object', properties: { param: { type: 'string', maxLength: 256 } }, additionalProperties: false },
          response: { 200: trackingResult, 202: trackingResult, 400: errorBody, 502: errorBody, 503: errorBody, ...err },
        },
      },
      async (req, reply) => {
        const { ups, name } = req.params as { ups: string; name: string };
        const me = this.principal(req);
        const d = this.usable(ups);
        if (!d.tree.hasCommand(name)) throw new HttpError(404, 'CMD-NOT-SUPPORTED', `"${d.name}" has no command "${name}"`);
        if (!me.canRun(name)) throw new HttpError(me.user ? 403 : 401, 'ACCESS-DENIED', me.user ? `user "${me.user}" may not run ${name} (instcmds in upsd.users)` : 'log in to run commands');
        const id = this.tracking.create();
        if (!d.instcmd(name, (req.body as { param?: string } | undefined)?.param, id)) throw new HttpError(502, 'INSTCMD-FAILED', 'the driver could not be reached');
        const r = await this.outcome(id, (req.query as { wait?: number }).wait);
        return reply.code(r.status === 'PENDING' ? 202 : 200).send(r);
      },
    );
    app.get(
      `${p}/tracking/:id`,
      { schema: { summary: 'Outcome of a tracked SET or command', tags: ['commands'], params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] }, response: { 200: trackingResult, 401: errorBody } } },
      async (req) => {
        const id = (req.params as { id: string }).id.toUpperCase();
        return { tracking: id, status: this.tracking.describe(id) };
      },
    );
    app.get(
      `${p}/devices/:ups/clients`,
      { schema: { summary: 'Clients logged in to the device through upsd (LIST CLIENT)', tags: ['devices'], params: upsParams, response: { 200: { type: 'array', items: { type: 'string' } }, ...err } } },
      async (req) => (await this.options.host?.clientsOf(this.device((req.params as { ups: string }).ups))) ?? [],
    );
    app.get(
      `${p}/devices/:ups/history`,
      {
        schema: {
          summary: 'Samples kept in memory for the charts',
          tags: ['devices'],
          params: upsParams,
          response: {
            200: {
              type: 'object',
              properties: {
                variables: { type: 'array', items: { type: 'string' } },
                samples: { type: 'array', items: { type: 'object', properties: { t: { type: 'integer' }, values: { type: 'object', additionalProperties: { type: ['number', 'null'] } } }, required: ['t', 'values'] } },
              },
              required: ['variables', 'samples'],
            },
            ...err,
          },
        },
      },
      async (req) => {
        const d = this.device((req.params as { ups: string }).ups);
        return { variables: [...HISTORY_VARIABLES], samples: this.history.of(d.name) };
      },
    );
    app.get(
      `${p}/events`,
      {
        schema: {
          summary: 'Live events (Server-Sent Events); resumes after Last-Event-ID while the events are still held',
          description: 'Event names: variable, status, notify (upsmon NOTIFY types: ONLINE, ONBATT, LOWBATT, REPLBATT, FSD, COMMOK, COMMBAD…), driver, device, command, and reset (the events since Last-Event-ID are gone: reload the state). Each data line is one JSON event.',
          tags: ['events'],
          querystring: { type: 'object', properties: { ups: { type: 'string', description: 'Only this device' }, lastEventId: { type: 'integer', minimum: 0 } } },
          produces: ['text/event-stream'],
          response: { 200: { ...eventSchema, description: 'text/event-stream; each event’s data' }, 401: errorBody },
        },
      },
      (req, reply) => this.stream(req, reply),
    );
    app.get(`/metrics`, { config: { access: 'metrics' } }, async (_req, reply) => {
      const h = this.options.host;
      const [instances, upsdClients, mqttConnected] = await Promise.all([h?.instances(), h?.upsdClients(), h?.mqttConnected?.()]);
      const text = renderMetrics(this.options.directory.list(), { instances: instances ?? [], upsdClients, sseClients: this.streams.size, mqttConnected });
      return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
    });
  }

  private stream(req: FastifyRequest, reply: FastifyReply): void {
    const q = req.query as { ups?: string; lastEventId?: number };
    const header = req.headers['last-event-id'];
    const lastId = header !== undefined && /^\d+$/.test(String(header)) ? Number(header) : q.lastEventId;
    const only = q.ups?.toLowerCase();
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const send = (e: HubEvent) => {
      if (only && e.device.toLowerCase() !== only) return;
      if (res.writableLength > SSE_HIGH_WATER) {
        res.destroy();
        return;
      }
      res.write(this.frame(e));
    };
    let head = `retry: 2000\n`;
    if (lastId !== undefined) {
      const missed = this.events.since(lastId);
      if (missed === undefined) head += `id: ${this.events.lastId}\nevent: reset\ndata: {"lastEventId":${this.events.lastId}}\n\n`;
      else {
        res.write(head + '\n');
        head = '';
        for (const e of missed) send(e);
      }
    } else head += `id: ${this.events.lastId}\nevent: hello\ndata: {"lastEventId":${this.events.lastId}}\n\n`;
    if (head) res.write(head + (head.endsWith('\n\n') ? '' : '\n'));
    const entry: Stream = { send, end: () => res.end(), ping: () => res.write(': keep-alive\n\n') };
    this.streams.add(entry);
    this.heartbeat ??= setInterval(() => {
      for (const s of this.streams) s.ping();
    }, SSE_HEARTBEAT_MS).unref();
    res.on('close', () => this.streams.delete(entry));
  }

  private readonly frames = new WeakMap<HubEvent, string>();

  /** An event as SSE text, serialised once however many streams get it. */
  private frame(e: HubEvent): string {
    let text = this.frames.get(e);
    if (text === undefined) this.frames.set(e, (text = `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`));
    return text;
  }

  /** Every event to every stream, in order, SSE_SLICE streams per turn of the event loop. */
  private fanOut(e: HubEvent): void {
    this.fanout.push(e);
    if (this.fanning) return;
    this.fanning = true;
    const next = (event: HubEvent | undefined, targets: Stream[], from: number) => {
      if (!event) {
        this.fanning = false;
        return;
      }
      const end = Math.min(from + SSE_SLICE, targets.length);
      for (let i = from; i < end; i++) if (this.streams.has(targets[i])) targets[i].send(event);
      if (end < targets.length) setImmediate(() => next(event, targets, end));
      else {
        const following = this.fanout.shift();
        if (following) next(following, [...this.streams], 0);
        else this.fanning = false;
      }
    };
    next(this.fanout.shift(), [...this.streams], 0);
  }

  private registerDashboard(): void {
    const types: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.json': 'application/json' };
    const serve = async (file: string, reply: FastifyReply) => {
      const path = normalize(join(DASHBOARD_DIR, file));
      if (!path.startsWith(DASHBOARD_DIR)) throw new HttpError(404, 'NOT-FOUND', 'no such file');
      let body: Buffer;
      try {
        body = await readFile(path);
      } catch {
        throw new HttpError(404, 'NOT-FOUND', `no file ${file}`);
      }
      return reply.type(types[extname(path)] ?? 'application/octet-stream').header('cache-control', 'no-cache').send(body);
    };
    this.app.get('/', (_req, reply) => serve('index.html', reply));
    this.app.get('/login', { config: { access: 'public' } }, (_req, reply) => serve('login.html', reply));
    // the page's code and style hold no device data
    this.app.get('/dashboard/*', { config: { access: 'public' } }, (req, reply) => serve((req.params as { '*': string })['*'], reply));
  }

  get eventClients(): number {
    return this.streams.size;
  }

  async listen(): Promise<{ host: string; port: number }> {
    const { host, port } = parseListen(this.options.settings.listen);
    await this.app.listen({ host, port });
    const a = this.app.server.address();
    this.address = typeof a === 'object' && a ? { host, port: a.port } : { host, port };
    this.log('info', `http: listening on ${host} port ${this.address.port}`);
    return this.address;
  }

  async close(): Promise<void> {
    for (const s of this.streams) s.end();
    this.streams.clear();
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.events.close();
    this.history.close();
    await this.app.close();
  }
}

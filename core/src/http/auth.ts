/**
 * Who is asking: HTTP Basic credentials checked against upsd.users, with upsd's rules
 * (core/src/upsd/acl.ts): exact user name, a password that is set and equal; SET needs the
 * `set` action, a command needs it in `instcmds` (or `all`). The file is read again when it
 * changes, so a user added for upsrw/upscmd works here without a restart.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { parseUpsdUsers, readFileText, type UpsUser } from '../upsd/config.js';

export interface Principal {
  /** undefined: anonymous. */
  user: string | undefined;
  canSet: boolean;
  canRun(command: string): boolean;
  /** Commands granted, for display ("all" or names). */
  instcmds: string[];
}

export const ANONYMOUS: Principal = { user: undefined, canSet: false, canRun: () => false, instcmds: [] };

export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: 'missing' | 'invalid' };

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  if (!header) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return undefined;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

export class UsersFile {
  private users = new Map<string, UpsUser>();
  private stamp = '';

  constructor(private readonly confPath: string | undefined, private readonly fixed?: Map<string, UpsUser>) {}

  private current(): Map<string, UpsUser> {
    if (this.fixed) return this.fixed;
    if (!this.confPath) return this.users;
    const file = join(this.confPath, 'upsd.users');
    let stamp: string;
    try {
      const st = statSync(file);
      stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch {
      this.users = new Map();
      this.stamp = '';
      return this.users;
    }
    if (stamp !== this.stamp) {
      try {
        this.users = parseUpsdUsers(readFileText(file)).users;
      } catch {
        this.users = new Map();
      }
      this.stamp = stamp;
    }
    return this.users;
  }

  /** The user if the password is right (upsd's rule: set and equal). */
  check(name: string, password: string): Principal | undefined {
    const user = this.current().get(name);
    if (!user || user.password === undefined || !same(user.password, password)) return undefined;
    return this.principal(name);
  }

  /** Rights of a user as upsd.users says now; undefined when the user is gone. */
  principal(name: string): Principal | undefined {
    const user = this.current().get(name);
    if (!user || user.password === undefined) return undefined;
    return {
      user: user.name,
      canSet: user.actions.has('set'),
      canRun: (command) => user.instcmds.has('all') || user.instcmds.has(command.toLowerCase()),
      instcmds: [...user.instcmds],
    };
  }

  authenticate(header: string | undefined): AuthResult {
    const creds = parseBasic(header);
    if (!creds) return { ok: false, reason: header ? 'invalid' : 'missing' };
    const principal = this.check(creds.user, creds.password);
    return principal ? { ok: true, principal } : { ok: false, reason: 'invalid' };
  }
}

export const SESSION_COOKIE = 'nutts_session';

/**
 * Session login: a random token in an HttpOnly, SameSite=Strict cookie, kept in memory (a
 * restart logs everyone out). Rights are looked up in upsd.users on every request, so a user
 * removed there loses access at once.
 */
export class Sessions {
  private readonly tokens = new Map<string, { user: string; expires: number }>();

  constructor(
    private readonly lifetimeMs = 12 * 3600_000,
    private readonly max = 10_000,
  ) {}

  create(user: string, now = Date.now()): string {
    const token = randomBytes(32).toString('base64url');
    this.tokens.set(token, { user, expires: now + this.lifetimeMs });
    if (this.tokens.size > this.max) this.tokens.delete(this.tokens.keys().next().value as string);
    return token;
  }

  user(token: string | undefined, now = Date.now()): string | undefined {
    if (!token) return undefined;
    const s = this.tokens.get(token);
    if (!s) return undefined;
    if (s.expires < now) {
      this.tokens.delete(token);
      return undefined;
    }
    return s.user;
  }

  drop(token: string | undefined): void {
    if (token) this.tokens.delete(token);
  }

  get lifetimeSeconds(): number {
    return Math.floor(this.lifetimeMs / 1000);
  }
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * upsd.users reader (reference/config-files.md §4, NUT 2.8.0 server/user.c): `[name]` starts a
 * user (name case-sensitive); keys are case-insensitive; `key = v1 v2 …` applies the key to
 * every word; the first password wins; a duplicate `[name]` is ignored and the keys after it
 * go to the user that was current before.
 */
import { basename, join } from 'node:path';
import { problem, type ConfigProblem } from './problems.js';
import { readConfigFile } from './read-file.js';
import { closest } from './suggest.js';
import { tokenizeForReader } from './tokenize-file.js';
import { isSectionHeader } from './ups-conf.js';

export interface Setting<T> {
  value: T;
  line: number;
}

export type UpsmonRole = 'primary' | 'secondary';

export interface UpsdUser {
  name: string;
  line: number;
  password?: Setting<string>;
  /** Actions in the order granted, as written (upsd compares them case-insensitively). */
  actions: Setting<string>[];
  /** Instant commands as written, case-insensitive duplicates dropped; `ALL` grants all. */
  instcmds: Setting<string>[];
  /** Set by `upsmon primary|master|secondary|slave` (the last one written). */
  upsmon?: Setting<UpsmonRole>;
}

export interface UpsdUsers {
  file: string;
  users: UpsdUser[];
  problems: ConfigProblem[];
}

export const USER_KEYS = ['password', 'actions', 'instcmds', 'upsmon', 'allowfrom'] as const;
export const KNOWN_ACTIONS = ['SET', 'FSD', 'LOGIN', 'MASTER', 'PRIMARY'] as const;

export function parseUpsdUsers(text: string | Uint8Array, file = 'upsd.users'): UpsdUsers {
  const { lines, problems } = tokenizeForReader(text, file);
  const result: UpsdUsers = { file, users: [], problems };
  let current: UpsdUser | undefined;

  const note = (severity: 'warning' | 'error', line: number, message: string, key?: string, extra: { suggestion?: string; allowed?: string } = {}) =>
    problems.push(problem(severity, file, line, message, { section: current?.name, key, ...extra }));

  const addAction = (action: string, line: number) => {
    if (!current) return;
    current.actions.push({ value: action, line });
  };

  const setUpsmon = (type: string, line: number) => {
    if (!current) {
      note('warning', line, `'upsmon ${type}' outside a [user] section is ignored`, 'upsmon');
      return;
    }
    const t = type.toLowerCase();
    if (t === 'primary' || t === 'master') {
      addAction('login', line);
      addAction('master', line);
      addAction('fsd', line);
      current.upsmon = { value: 'primary', line };
    } else if (t === 'secondary' || t === 'slave') {
      addAction('login', line);
      current.upsmon = { value: 'secondary', line };
    } else {
      note('warning', line, `unknown upsmon type '${type}'`, 'upsmon', {
        suggestion: closest(type, ['primary', 'secondary', 'master', 'slave']),
        allowed: 'primary, secondary (or the old master, slave)',
      });
    }
  };

  const parseVar = (key: string, value: string, line: number) => {
    switch (key.toLowerCase()) {
      case 'password':
        if (!current) return;
        if (current.password) {
          note('warning', line, `duplicate password ignored; the one from line ${current.password.line} stays`, key);
          return;
        }
        current.password = { value, line };
        return;
      case 'instcmds':
        if (!current) return;
        if (current.instcmds.some((c) => c.value.toLowerCase() === value.toLowerCase())) return;
        current.instcmds.push({ value, line });
        return;
      case 'actions':
        if (!KNOWN_ACTIONS.some((a) => a === value.toUpperCase())) {
          const suggestion = closest(value, KNOWN_ACTIONS);
          note('warning', line, `action '${value}' grants nothing upsd checks`, key, suggestion ? { suggestion } : { allowed: 'SET, FSD' });
        }
        addAction(value, line);
        return;
      case 'allowfrom':
        note('warning', line, `'allowfrom' is no longer used (upsd.conf LISTEN and a firewall restrict clients)`, key);
        return;
      case 'upsmon':
        setUpsmon(value, line);
        return;
      default: {
        const suggestion = closest(key, USER_KEYS.filter((k) => k !== 'allowfrom'));
        note('warning', line, `unrecognized user setting '${key}', upsd ignores it`, key, suggestion ? { suggestion } : { allowed: 'password, actions, instcmds, upsmon' });
      }
    }
  };

  const parseRest = (key: string, values: string[], line: number) => {
    if (!current) {
      note('warning', line, `'${key}' outside a [user] section is ignored`, key);
      return;
    }
    for (const v of values) parseVar(key, v, line);
  };

  for (const { words, line } of lines) {
    const first = words[0];
    if (first.toLowerCase() === 'user') {
      note('warning', line, `old-format 'user' line ignored; use a [username] section`, first);
      continue;
    }
    const eq = first.indexOf('=');
    if (eq >= 0) {
      // "key=value" written as one word (quoted or with \=): NUT splits it at the first '='
      parseRest(first.slice(0, eq), [first.slice(eq + 1), ...words.slice(1)], line);
      continue;
    }
    if (isSectionHeader(first)) {
      const name = first.slice(1, -1);
      const existing = result.users.find((u) => u.name === name);
      if (existing) {
        note('warning', line, `duplicate user [${name}] ignored (first defined at line ${existing.line}); the keys below it go to ${current ? `[${current.name}]` : 'no user'}`);
        continue;
      }
      if (words.length > 1) note('warning', line, `words after [${name}] are ignored`);
      current = { name, line, actions: [], instcmds: [] };
      result.users.push(current);
      continue;
    }
    if (words.length < 2) {
      note('warning', line, `line ignored ('${first}'): expected 'key = value'`, first);
      continue;
    }
    if (first.toLowerCase() === 'upsmon' && words[1] !== '=') {
      setUpsmon(words[1], line);
      if (words.length > 2) note('warning', line, `words after 'upsmon ${words[1]}' are ignored`, first);
      continue;
    }
    if (words.length < 3 || words[1] !== '=') {
      note('warning', line, `line ignored (${words.join(' ')}): expected 'key = value'`, first);
      continue;
    }
    parseRest(first, words.slice(2), line);
  }
  for (const u of result.users) {
    if (!u.password) {
      problems.push(problem('warning', file, u.line, `user has no password and can never log in`, { section: u.name, key: 'password' }));
    }
  }
  return result;
}

/** Reads `<confPath>/upsd.users`; throws an Error naming the file when it cannot be read. */
export function readUpsdUsers(confPath: string): UpsdUsers {
  const path = join(confPath, 'upsd.users');
  return parseUpsdUsers(readConfigFile(path), basename(path));
}

/** Instant commands, settings and the shutdown methods (sdtype / advorder) of apcsmart. */
import { HandlerStatus } from '@nut-ts/core/plugin-api';
import { convertAnswer } from './convert.js';
import { STAT, WAIT, parseHexPrefix, type ApcEngine, type CommandState, type VariableState } from './engine.js';
import type { CommandAction } from './table.js';

const HANDLED = HandlerStatus.Handled;
const FAILED = HandlerStatus.Failed;
const UNKNOWN = HandlerStatus.Unknown;
const INVALID = HandlerStatus.Invalid;

/** Dangerous commands act only when asked again within this window (seconds). */
const CONFIRM_MIN_S = 3;
const CONFIRM_MAX_S = 15;

type Status = HandlerStatus;

/** Reply to a shutdown command: OK (or '*'); with okOnSilence a timeout counts as success. */
async function shutdownReply(e: ApcEngine, okOnSilence: boolean): Promise<Status> {
  const a = await e.link.read({ timeoutMs: WAIT.short, asteriskIsOk: true });
  if (a === null) return FAILED;
  e.ctx.log.debug(1, `sdok: got "${a}"`);
  return (a === '' && okOnSilence) || a === 'OK' ? HANDLED : FAILED;
}

/** S: soft hibernate (acted upon on battery only). */
export function softHibernate(e: ApcEngine): Promise<Status> {
  return e.link.exchange(async () => {
    await e.link.flush(false);
    if (!(await e.link.write('S'))) return FAILED;
    return shutdownReply(e, false);
  });
}

/** @nnn (or @nn): hard hibernate with extra wake-up delay in 6-minute units. */
export function hardHibernate(e: ApcEngine, awd = '000'): Promise<Status> {
  return e.link.exchange(async () => {
    const digits = awd.length === 2 ? 2 : 3;
    const text = `@${awd.padStart(digits, '0')}`;
    await e.link.flush(false);
    if (!(await e.link.writeLong(text))) {
      e.ctx.log.error(`issuing [@] with ${digits} digits failed`);
      return FAILED;
    }
    const r = await shutdownReply(e, false);
    if (r === HANDLED || digits === 3) return r;
    e.ctx.log.error('command [@] with 2 digits doesn\'t work - try 3 digits');
    // Abort the half-taken command with something harmless.
    await e.link.write('Y');
    await e.link.read({ timeoutMs: WAIT.short });
    return FAILED;
  });
}

/** K K: power off after the shutdown delay. */
export function delayedPowerOff(e: ApcEngine): Promise<Status> {
  return e.link.exchange(async () => {
    await e.link.flush(false);
    if (!(await e.link.writeTwice('K'))) return FAILED;
    return shutdownReply(e, false);
  });
}

/** Z Z: power off now (the unit answers nothing). */
export function instantPowerOff(e: ApcEngine): Promise<Status> {
  return e.link.exchange(async () => {
    await e.link.flush(false);
    if (!(await e.link.writeTwice('Z'))) return FAILED;
    return shutdownReply(e, true);
  });
}

/** CS 350 and similar: simulate a power failure (U) when on line, wait, then S. */
export async function csHack(e: ApcEngine): Promise<Status> {
  if (e.status & STAT.OL) {
    const ok = await e.link.exchange(async () => {
      await e.link.flush(false);
      if (!(await e.link.write('U'))) return false;
      return (await e.link.read({ timeoutMs: WAIT.short })) !== null;
    });
    if (!ok) return FAILED;
    await e.ctx.sleep(e.options.cshdelayMs);
  }
  return softHibernate(e);
}

/** ^N ^N: load on (no answer). */
function loadOn(e: ApcEngine): Promise<Status> {
  return e.link.exchange(async () => {
    await e.link.flush(false);
    return (await e.link.writeTwice('\x0e')) ? HANDLED : FAILED;
  });
}

/** D toggles calibration: read Q first and send D only when it changes the state as asked. */
function calibration(e: ApcEngine, start: boolean): Promise<Status> {
  return e.link.exchange(async () => {
    await e.link.flush(true);
    if (!(await e.link.write('Q'))) return HANDLED;
    const q = await e.link.read({ timeoutMs: WAIT.normal, alerts: true });
    if (q === null || q === '' || q === 'NA') {
      e.ctx.log.warn('runtime calibration state undeterminable');
      return HANDLED;
    }
    const running = (parseHexPrefix(q) & STAT.CAL) !== 0;
    if (running === start) {
      e.ctx.log.info(start ? 'runtime calibration already in progress' : 'runtime calibration not occurring');
      return HANDLED;
    }
    e.ctx.log.info(start ? 'starting runtime calibration' : 'stopping runtime calibration');
    if (!(await e.link.write('D'))) return HANDLED;
    const a = await e.link.read({ timeoutMs: WAIT.normal, alerts: true });
    if (a === null || a === '' || a === 'NA' || a === 'NO') {
      e.ctx.log.warn(`${start ? 'start' : 'stop'} calibration failed, cmd returned: ${a ?? ''}`);
    }
    return HANDLED;
  });
}

/** Send the byte (twice when the row says so) and expect OK. */
function simpleCommand(e: ApcEngine, c: CommandState): Promise<Status> {
  return e.link.exchange(async () => {
    await e.link.flush(true);
    const sent = c.row.sendTwice ? await e.link.writeTwice(c.row.char) : await e.link.write(c.row.char);
    if (!sent) return FAILED;
    const a = await e.link.read({ timeoutMs: WAIT.normal, alerts: true });
    if (a === null || a === '') return FAILED;
    if (a !== 'OK') {
      e.ctx.log.warn(`do_cmd: got [${a}] after command [${c.row.name}]`);
      return FAILED;
    }
    e.ctx.log.info(`do_cmd: ${c.row.name} completed`);
    return HANDLED;
  });
}

const ACTIONS: Record<CommandAction, (e: ApcEngine, c: CommandState, param?: string) => Promise<Status>> = {
  hardHibernate: (e, _c, param) => hardHibernate(e, param?.slice(3)),
  softHibernate: (e, _c, param) => (param && param.toUpperCase().startsWith('C') ? csHack(e) : softHibernate(e)),
  delayedPowerOff: (e) => delayedPowerOff(e),
  instantPowerOff: (e) => instantPowerOff(e),
  loadOn: (e) => loadOn(e),
  calibrationStart: (e) => calibration(e, true),
  calibrationStop: (e) => calibration(e, false),
};

/** NUT's instcmd(): match name and argument, check support and the confirmation window. */
export async function instcmd(e: ApcEngine, name: string, param?: string): Promise<Status> {
  const lower = name.toLowerCase();
  const c = e.cmds.find((s) => {
    if (s.row.name !== lower) return false;
    if (s.row.argument !== undefined) return new RegExp(s.row.argument).test(param ?? '');
    return param === undefined;
  });
  const shown = `${name} ${param ?? '\b'}`;
  if (!c) {
    e.ctx.log.warn(`instcmd: unknown command [${shown}]`);
    return INVALID;
  }
  if (!c.present) {
    e.ctx.log.warn(`instcmd: command [${shown}] recognized, but not supported by your UPS model`);
    return INVALID;
  }
  if (c.row.confirmTwice) {
    const now = Math.floor(e.ctx.now() / 1000);
    const elapsed = now - e.lastNastyRequest;
    e.lastNastyRequest = now;
    if (elapsed < CONFIRM_MIN_S || elapsed > CONFIRM_MAX_S) {
      e.ctx.log.debug(1, `instcmd_chktime: outside window for [${shown}] (${elapsed})`);
      return HANDLED;
    }
  }
  return c.row.action ? ACTIONS[c.row.action](e, c, param) : simpleCommand(e, c);
}

/** Enumerated setting: cycle with '-' until the unit shows the wanted value. */
async function setEnumerated(e: ApcEngine, v: VariableState, value: string): Promise<Status> {
  const r = await e.link.exchange(async (): Promise<Status | 'repoll'> => {
    const ch = v.row.char;
    const read = async () => {
      if (!(await e.link.write(ch))) return null;
      const a = await e.link.read({ timeoutMs: WAIT.normal, alerts: true });
      return a === null || a === '' || a === 'NA' ? null : a;
    };
    await e.link.flush(true);
    const orig = await read();
    if (orig === null) return FAILED;
    if (convertAnswer(e.table, v.row, orig) === value) {
      e.ctx.log.info(`setvar_enum: ignoring SET ${v.row.name}='${value}' (unchanged value)`);
      return HANDLED;
    }
    for (let i = 0; i < 32; i++) {
      if (!(await e.link.write('-'))) return FAILED;
      const ok = await e.link.read({ timeoutMs: WAIT.normal, alerts: true });
      if (ok !== 'OK') return FAILED;
      const now = await read();
      if (now === null) return FAILED;
      const shown = convertAnswer(e.table, v.row, now);
      e.ctx.log.debug(1, `setvar_enum: rotate - got [${shown}], want [${value}]`);
      if (shown === value) {
        e.ctx.log.info(`setvar_enum: SET ${v.row.name}='${value}'`);
        return 'repoll';
      }
      // NUT compares the converted value with the raw original here.
      if (shown === orig) {
        e.ctx.log.error(`setvar_enum: variable ${v.row.name} wrapped`);
        return FAILED;
      }
    }
    e.ctx.log.error(`setvar_enum: gave up after 6 tries for ${v.row.name}`);
    await e.poll(v);
    return FAILED;
  });
  if (r !== 'repoll') return r;
  await e.poll(v);
  return HANDLED;
}

/** Text setting (8 characters): '-' and the text padded with CR. */
async function setString(e: ApcEngine, v: VariableState, value: string): Promise<Status> {
  if (value.length > 8) {
    e.ctx.log.error(`setvar_string: value (${value}) too long`);
    return FAILED;
  }
  const r = await e.link.exchange(async (): Promise<Status | 'repoll'> => {
    await e.link.flush(true);
    if (!(await e.link.write(v.row.char))) return FAILED;
    const cur = await e.link.read({ timeoutMs: WAIT.normal, alerts: true });
    if (cur === null || cur === '' || cur === 'NA') return FAILED;
    if (cur === value) {
      e.ctx.log.info(`setvar_string: ignoring SET ${v.row.name}='${value}' (unchanged value)`);
      return HANDLED;
    }
    if (!(await e.link.writeLong(`-${value.padEnd(8, '\r')}`))) return FAILED;
    const a = await e.link.read({ timeoutMs: WAIT.normal, alerts: true });
    if (a === null || a === '') {
      e.ctx.log.error('setvar_string: short final read');
      return FAILED;
    }
    if (a === 'NO') {
      e.ctx.log.error('setvar_string: got NO at final read');
      return FAILED;
    }
    return 'repoll';
  });
  if (r !== 'repoll') return r;
  await e.poll(v);
  e.ctx.log.info(`setvar_string: SET ${v.row.name}='${value}'`);
  return HANDLED;
}

export async function setvar(e: ApcEngine, name: string, value: string): Promise<Status> {
  const v = e.findVariable(name);
  if (!v) return UNKNOWN;
  if (!v.writable) {
    e.ctx.log.warn(`setvar: [${name}] is not writable`);
    return UNKNOWN;
  }
  if (v.enumerated) return setEnumerated(e, v, value);
  if (v.row.writableString) return setString(e, v, value);
  e.ctx.log.warn(`setvar: unknown type for [${name}]`);
  return UNKNOWN;
}

/** Shutdown methods by number (sdtype 0-5 picks among them; advorder lists them). */
const METHODS: Array<(e: ApcEngine) => Promise<Status>> = [
  (e) => softHibernate(e),
  (e) => hardHibernate(e, e.options.awd),
  (e) => delayedPowerOff(e),
  (e) => instantPowerOff(e),
  (e) => csHack(e),
];

/** upsdrvctl shutdown / -k: smart mode, status, then the configured method(s). */
export async function shutdown(e: ApcEngine): Promise<void> {
  if (!(await e.smartMode(1))) e.ctx.log.warn('upsdrv_shutdown: setting SmartMode failed !');
  const q = await e.link.exchange(async () => {
    if (!(await e.link.write('Q'))) return null;
    return e.link.read({ timeoutMs: WAIT.short });
  });
  // NUT 2.8.0 takes only a one-character answer here, so a normal two-digit status reads as
  // a failure and the unit is assumed on battery with a low battery (kept: it decides the method).
  if (q !== null && q.length === 1) {
    e.status = parseHexPrefix(q);
  } else {
    e.ctx.log.warn(`upsdrv_shutdown: status ${q === null ? 'write' : 'read'} failed, assuming LB+OB`);
    e.status = STAT.LB | STAT.OB;
  }
  const order = e.options.advorder;
  if (order !== undefined) {
    for (const digit of order) {
      if ((await METHODS[Number(digit)](e)) === HANDLED) break;
    }
    return;
  }
  switch (e.options.sdtype) {
    case 5:
      await hardHibernate(e, e.options.awd);
      break;
    case 4:
      await csHack(e);
      break;
    case 3:
      await delayedPowerOff(e);
      break;
    case 2:
      await instantPowerOff(e);
      break;
    case 1:
      if (!(e.status & STAT.OB) || (await softHibernate(e)) !== HANDLED) await hardHibernate(e, e.options.awd);
      break;
    default:
      if (e.status & STAT.OL) await hardHibernate(e, e.options.awd);
      else await softHibernate(e);
  }
}


/**
 * upsmon notification types: NUT 2.8.0's table (stock message, default flags) and the types
 * later NUT releases added. A later type is raised only when upsmon.conf names it in a
 * NOTIFYFLAG or NOTIFYMSG line, so a 2.8.0 configuration behaves exactly as under 2.8.0.
 */

export const NOTIFY_IGNORE = 1;
export const NOTIFY_SYSLOG = 2;
export const NOTIFY_WALL = 4;
export const NOTIFY_EXEC = 8;
export type NotifyFlags = number;

interface NotifyTypeInfo {
  message: string;
  flags: NotifyFlags;
  /** First NUT release with this type; '2.8.0' for the base set. */
  since: string;
}

const TABLE = {
  ONLINE: { message: 'UPS %s on line power', flags: NOTIFY_SYSLOG | NOTIFY_WALL, since: '2.8.0' },
  ONBATT: { message: 'UPS %s on battery', flags: NOTIFY_SYSLOG | NOTIFY_WALL, since: '2.8.0' },
  LOWBATT: { message: 'UPS %s battery is low', flags: NOTIFY_SYSLOG | NOTIFY_WALL, since: '2.8.0' },
  FSD: { message: 'UPS %s: forced shutdown in progress', flags: NOTIFY_SYSLOG | NOTIFY_WALL, since: '2.8.0' },
  COMMOK: { message: 'Communications with UPS %s established', flags: NOTIFY_SYSLOG | NOTIFY_WALL, since: '2.8.0' },
  COMMBAD: { message: 'Communications with UPS %s lost', flags: NOTIFY_SYSLOG | NOTIFY_WALL, since: '2.8.0' },
  SHUTDOWN: { message: 'Auto logout and shutdown proceeding', flags: NOTIFY_SYSLOG | NOTIFY_WALL, since: '2.8.0' },
  REPLBATT: { message: 'UPS %s battery needs to be replaced', flags: NOTIFY_SYSLOG | NOTIFY_WALL, since: '2.8.0' },
  NOCOMM: { message: 'UPS %s is unavailable', flags: NOTIFY_SYSLOG | NOTIFY_WALL, since: '2.8.0' },
  NOPARENT: { message: 'upsmon parent process died - shutdown impossible', flags: NOTIFY_SYSLOG | NOTIFY_WALL, since: '2.8.0' },
  CAL: { message: 'UPS %s: calibration in progress', flags: NOTIFY_SYSLOG, since: '2.8.0' },
  OFF: { message: 'UPS %s: administratively OFF or asleep', flags: NOTIFY_SYSLOG | NOTIFY_WALL, since: '2.8.1' },
  NOTOFF: { message: 'UPS %s: no longer administratively OFF or asleep', flags: NOTIFY_SYSLOG | NOTIFY_WALL, since: '2.8.1' },
  BYPASS: { message: 'UPS %s: on bypass (powered, not protecting)', flags: NOTIFY_SYSLOG | NOTIFY_WALL, since: '2.8.1' },
  NOTBYPASS: { message: 'UPS %s: no longer on bypass', flags: NOTIFY_SYSLOG | NOTIFY_WALL, since: '2.8.1' },
  NOTCAL: { message: 'UPS %s: calibration finished', flags: NOTIFY_SYSLOG | NOTIFY_WALL, since: '2.8.2' },
  ALARM: { message: 'UPS %s: one or more active alarms: [%s]', flags: NOTIFY_SYSLOG | NOTIFY_WALL, since: '2.8.3' },
  NOTALARM: { message: 'UPS %s is no longer in an alarm state (no active alarms)', flags: NOTIFY_SYSLOG | NOTIFY_WALL, since: '2.8.3' },
  OVER: { message: 'UPS %s: overloaded', flags: NOTIFY_SYSLOG | NOTIFY_WALL, since: '2.8.3' },
  NOTOVER: { message: 'UPS %s: no longer overloaded', flags: NOTIFY_SYSLOG | NOTIFY_WALL, since: '2.8.3' },
  TRIM: { message: 'UPS %s: trimming incoming voltage', flags: NOTIFY_SYSLOG | NOTIFY_WALL, since: '2.8.3' },
  NOTTRIM: { message: 'UPS %s: no longer trimming incoming voltage', flags: NOTIFY_SYSLOG | NOTIFY_WALL, since: '2.8.3' },
  BOOST: { message: 'UPS %s: boosting incoming voltage', flags: NOTIFY_SYSLOG | NOTIFY_WALL, since: '2.8.3' },
  NOTBOOST: { message: 'UPS %s: no longer boosting incoming voltage', flags: NOTIFY_SYSLOG | NOTIFY_WALL, since: '2.8.3' },
} satisfies Record<string, NotifyTypeInfo>;

export type NotifyType = keyof typeof TABLE;

export const NOTIFY_TYPES = Object.keys(TABLE) as NotifyType[];
export const BASE_NOTIFY_TYPES = NOTIFY_TYPES.filter((t) => TABLE[t].since === '2.8.0');

export function isNotifyType(name: string): name is NotifyType {
  return Object.hasOwn(TABLE, name);
}

export function notifyInfo(type: NotifyType): NotifyTypeInfo {
  return TABLE[type];
}

/** `SYSLOG+WALL+EXEC` → bits; unknown words are reported (NUT warns and skips them). */
export function parseNotifyFlags(text: string): { flags: NotifyFlags; invalid: string[] } {
  let flags = 0;
  const invalid: string[] = [];
  for (const word of text.split('+')) {
    const bit = { SYSLOG: NOTIFY_SYSLOG, WALL: NOTIFY_WALL, EXEC: NOTIFY_EXEC, IGNORE: NOTIFY_IGNORE }[word];
    if (bit) flags |= bit;
    else invalid.push(word);
  }
  return { flags, invalid };
}

/**
 * printf with `%s` conversions only, as upsmon's snprintf(msg, fmt, sys) sees a NOTIFYMSG:
 * `%%` → `%`; each `%s` takes the next argument (an empty string once they run out).
 */
export function formatNotifyMessage(format: string, ...args: string[]): string {
  let i = 0;
  return format.replace(/%(-?\d*)([s%])/g, (_m, width: string, conv: string) => {
    if (conv === '%') return '%';
    const value = args[i++] ?? '';
    const w = Number(width || 0);
    return w < 0 ? value.padEnd(-w) : value.padStart(w);
  });
}

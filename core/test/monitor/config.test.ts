/** upsmon.conf and upssched.conf readers: NUT 2.8.0's rules (reference/config-files.md §5–6). */
import { describe, expect, it } from 'vitest';
import { checkUpsmonConf, checkUpsschedConf } from '../../src/config/monitor-conf-schema.js';
import { parseUpsmonConf } from '../../src/config/upsmon-conf.js';
import { parseUpsschedConf } from '../../src/config/upssched-conf.js';
import { NOTIFY_EXEC, NOTIFY_SYSLOG, NOTIFY_WALL, formatNotifyMessage } from '../../src/config/notify-types.js';

describe('upsmon.conf', () => {
  it('has NUT 2.8.0 defaults', () => {
    const { config, problems } = checkUpsmonConf(parseUpsmonConf(''));
    expect(problems).toEqual([]);
    expect(config).toMatchObject({ minSupplies: 1, pollFreq: 5, pollFreqAlert: 5, hostSync: 15, deadTime: 15, rbWarnTime: 43200, noCommWarnTime: 300, finalDelay: 5, certVerify: 0, forceSsl: 0 });
  });

  it('reads MONITOR lines: system string kept, host/port split, primary/master in any case, anything else secondary', () => {
    const { config, problems } = parseUpsmonConf(
      'MONITOR a@h:1234 2 u p primary\nMONITOR b@h 1 u p MASTER\nMONITOR c 0 u p slave\nMONITOR d@[::1]:99 1 u p whatever\n',
    );
    expect(config.monitors.map((m) => [m.system, m.upsname, m.host, m.port, m.powerValue, m.primary])).toEqual([
      ['a@h:1234', 'a', 'h', 1234, 2, true],
      ['b@h', 'b', 'h', 3493, 1, true],
      ['c', 'c', 'localhost', 3493, 0, false],
      ['d@[::1]:99', 'd', '::1', 99, 1, false],
    ]);
    expect(config.totalPowerValue).toBe(4);
    expect(problems.map((p) => p.line)).toEqual([4]); // "whatever" is a warning, as NUT silently takes it as secondary
  });

  it('rejects the old 5-word MONITOR, negative power values and duplicates like NUT', () => {
    const { config, problems } = parseUpsmonConf('MONITOR a@h 1 u p primary\nMONITOR a@h 1 u p primary\nMONITOR b@h -1 u p primary\nMONITOR c@h 1 pw primary\n');
    expect(config.monitors.map((m) => m.system)).toEqual(['a@h']);
    expect(problems.map((p) => [p.line, p.severity])).toEqual([
      [2, 'warning'],
      [3, 'warning'],
      [4, 'fatal'],
    ]);
    expect(problems[1].message).toContain('ignoring invalid power value [-1]');
    expect(problems[2].message).toContain('Unable to use old-style MONITOR line without a username');
  });

  it('numbers are read with atoi; negative POLLFREQ/MINSUPPLIES/FINALDELAY are ignored', () => {
    const { config, problems } = parseUpsmonConf('POLLFREQ 7s\nPOLLFREQALERT -3\nHOSTSYNC abc\nDEADTIME 20\nMINSUPPLIES -1\nFINALDELAY 0\n');
    expect(config).toMatchObject({ pollFreq: 7, pollFreqAlert: 5, hostSync: 0, deadTime: 20, minSupplies: 1, finalDelay: 0 });
    expect(problems.map((p) => p.key)).toEqual(['POLLFREQALERT', 'MINSUPPLIES']);
  });

  it('NOTIFYFLAG and NOTIFYMSG: type in any case, flags case-sensitive, bad words reported with a suggestion', () => {
    const { config, problems } = parseUpsmonConf('NOTIFYFLAG onbatt SYSLOG+WALL+EXEC\nNOTIFYFLAG ONLINE syslog+EXEC\nNOTIFYMSG LOWBATT "low: %s"\nNOTIFYFLAG ONBAT EXEC\n');
    expect(config.notifyFlag).toEqual({ ONBATT: NOTIFY_SYSLOG | NOTIFY_WALL | NOTIFY_EXEC, ONLINE: NOTIFY_EXEC });
    expect(config.notifyMsg).toEqual({ LOWBATT: 'low: %s' });
    expect(problems.map((p) => [p.line, p.suggestion])).toEqual([
      [2, 'SYSLOG'],
      [4, 'ONBATT'],
    ]);
  });

  it('unknown and short directives are "invalid directive" warnings naming file and line, with a suggestion', () => {
    const { problems } = parseUpsmonConf('\n\nSHUTDOWNCOMMAND "x"\nNOTIFYMSG ONLINE\nDEBUG_min 3\n', '/etc/nut/upsmon.conf');
    expect(problems).toEqual([
      expect.objectContaining({ file: '/etc/nut/upsmon.conf', line: 3, key: 'SHUTDOWNCOMMAND', severity: 'warning', suggestion: 'SHUTDOWNCMD' }),
      expect.objectContaining({ line: 4, key: 'NOTIFYMSG', message: expect.stringContaining('/etc/nut/upsmon.conf line 4: invalid directive NOTIFYMSG ONLINE') }),
    ]);
  });

  it('directives of later NUT releases load without complaint', () => {
    const { config, problems } = checkUpsmonConf(parseUpsmonConf('OFFDURATION 30\nSHUTDOWNEXIT yes\nOBLBDURATION 0\n'));
    expect(problems).toEqual([]);
    expect(config.later).toEqual({ OFFDURATION: ['30'], SHUTDOWNEXIT: ['yes'], OBLBDURATION: ['0'] });
  });

  it('the schema flags odd values with the directive and its line', () => {
    const { problems } = checkUpsmonConf(parseUpsmonConf('# x\nPOLLFREQ 0\nCERTVERIFY 2\n', 'upsmon.conf'));
    expect(problems.map((p) => [p.key, p.line, p.severity])).toEqual([
      ['POLLFREQ', 2, 'warning'],
      ['CERTVERIFY', 3, 'warning'],
    ]);
  });

  it('notify messages are printf with %s (and %%)', () => {
    expect(formatNotifyMessage('UPS %s on battery', 'u@h')).toBe('UPS u@h on battery');
    expect(formatNotifyMessage('100%% %s and %s', 'a')).toBe('100% a and ');
    expect(formatNotifyMessage('[%-5s]', 'ab')).toBe('[ab   ]');
  });
});

describe('upssched.conf', () => {
  it('keeps file order with line numbers and parses the three AT commands', () => {
    const { config, problems } = checkUpsschedConf(
      parseUpsschedConf('CMDSCRIPT /bin/cmd\nPIPEFN /run/p\nLOCKFN /run/l\nAT ONBATT * START-TIMER warn 30\nAT ONLINE ups@h CANCEL-TIMER warn fallback\nAT LOWBATT * EXECUTE "go now"\n'),
    );
    expect(problems).toEqual([]);
    expect(config.directives.map((d) => (d.key === 'AT' ? [d.line, d.notifyType, d.upsname, d.action] : [d.line, d.key, d.value]))).toEqual([
      [1, 'CMDSCRIPT', '/bin/cmd'],
      [2, 'PIPEFN', '/run/p'],
      [3, 'LOCKFN', '/run/l'],
      [4, 'ONBATT', '*', { kind: 'START-TIMER', name: 'warn', seconds: '30' }],
      [5, 'ONLINE', 'ups@h', { kind: 'CANCEL-TIMER', name: 'warn', command: 'fallback' }],
      [6, 'LOWBATT', '*', { kind: 'EXECUTE', command: 'go now' }],
    ]);
  });

  it('AT with fewer than 5 words is invalid; an unknown command is named with a suggestion', () => {
    const { problems } = parseUpsschedConf('AT x y START-TIMER\nAT x y START-TIMR a 1\nAT x y START-TIMER a\n');
    expect(problems.map((p) => [p.line, p.severity, p.suggestion])).toEqual([
      [1, 'warning', undefined],
      [2, 'error', 'START-TIMER'],
      [3, 'warning', undefined],
    ]);
  });
});

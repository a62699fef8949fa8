/**
 * NUT's clients and ours against scripted servers that answer oddly (old upsd, unknown type
 * words, wrong echoes, tracking that never ends, dropped connections): same output, same
 * exit code. NUT's programs are the oracle for every expected value here.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fakeUpsd, scriptServer, type Answer, type ScriptServer } from '../../core/test/client/script-server.js';
import { requireOracle } from '../helpers/oracle.js';
import { runBoth } from './clients-harness.js';

const servers: ScriptServer[] = [];

async function serve(answer: (line: string) => Answer): Promise<string> {
  requireOracle('/usr/bin/upsc', '/usr/bin/upsrw', '/usr/bin/upscmd');
  const s = await scriptServer((l) => (l === 'LOGOUT' ? undefined : answer(l)));
  servers.push(s);
  return `dummy@127.0.0.1:${s.port}`;
}

afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function same(tool: 'upsc' | 'upsrw' | 'upscmd', args: string[], input?: string): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const { nut, ours } = await runBoth(tool, args, input);
  expect(ours).toEqual(nut);
  return nut;
}

const AUTH = ['-u', 'u', '-p', 'p'];

describe('an upsd too old for the query', () => {
  it('answers ERR UNKNOWN-COMMAND to LIST and GET', async () => {
    const ups = await serve((l) => (l.startsWith('LIST') || l.startsWith('GET') ? 'ERR UNKNOWN-COMMAND' : fakeUpsd(l)));
    const listed = await same('upsc', [ups]);
    expect(listed.stderr).toBe('Error: upsd is too old to support this query\n');
    await same('upsc', [ups, 'ups.status']);
    await same('upsc', ['-l', ups.slice('dummy@'.length)]);
    await same('upsc', ['-c', ups]);
    await same('upsrw', [ups]);
    await same('upscmd', ['-l', ups]);
  });
});

describe('odd answers', () => {
  it('type words upsrw does not know, type and description errors, old ENUM without a value type', async () => {
    const ups = await serve((l) => {
      const w = l.split(' ');
      if (l === 'LIST RW dummy') {
        return ['BEGIN LIST RW dummy', ...['a.enum', 'b.odd', 'c.rwonly', 'd.notype', 'e.strjunk', 'f.range'].map((n) => `RW dummy ${n} "1"`), 'END LIST RW dummy'];
      }
      if (w[0] === 'GET' && w[1] === 'DESC') return w[3] === 'b.odd' ? 'ERR VAR-NOT-SUPPORTED' : `DESC dummy ${w[3]} "About ${w[3]}"`;
      if (w[0] === 'GET' && w[1] === 'TYPE') {
        const types: Record<string, string> = {
          'a.enum': 'TYPE dummy a.enum RW ENUM',
          'b.odd': 'TYPE dummy b.odd RW BLOB NUMBER',
          'c.rwonly': 'TYPE dummy c.rwonly RW',
          'd.notype': 'ERR VAR-NOT-SUPPORTED',
          'e.strjunk': 'TYPE dummy e.strjunk string:12abc',
          'f.range': 'TYPE dummy f.range RANGE ENUM NUMBER',
        };
        return types[w[3]];
      }
      if (w[0] === 'GET' && w[1] === 'VAR') return `VAR dummy ${w[3]} "${w[3] === 'f.range' ? '15abc' : '1'}"`;
      if (l === 'LIST ENUM dummy a.enum') return ['BEGIN LIST ENUM dummy a.enum', 'ENUM dummy a.enum "1"', 'ENUM dummy a.enum "2"', 'END LIST ENUM dummy a.enum'];
      if (l === 'LIST RANGE dummy f.range') {
        return ['BEGIN LIST RANGE dummy f.range', 'RANGE dummy f.range "10" "20x"', 'RANGE dummy f.range "junk" "5"', 'END LIST RANGE dummy f.range'];
      }
      return fakeUpsd(l);
    });
    const nut = await same('upsrw', [ups]);
    expect(nut.stdout).toContain('Type: BLOB (unrecognized)\n');
  });

  it('answers that do not echo the query', async () => {
    const ups = await serve((l) => {
      if (l === 'LIST VAR dummy') return ['BEGIN LIST VAR other', 'END LIST VAR other'];
      if (l.startsWith('GET VAR')) return 'VAR other ups.status "OL"';
      if (l === 'LIST CMD dummy') return ['BEGIN LIST CMD dummy', 'CMD dummy load.off', 'END LIST CMD dummy'];
      if (l.startsWith('GET CMDDESC')) return 'CMDDESC dummy other.cmd "x"';
      return fakeUpsd(l);
    });
    const listed = await same('upsc', [ups]);
    expect(listed.stderr).toBe('Error: Protocol error\n');
    await same('upsc', [ups, 'ups.status']);
    await same('upscmd', ['-l', ups]);
  });

  it('values with escapes and characters outside ASCII', async () => {
    const ups = await serve((l) => {
      if (l === 'LIST VAR dummy') {
        return [
          'BEGIN LIST VAR dummy',
          'VAR dummy a.b "back\\\\slash \\"q\\" \\#"',
          'VAR dummy c.d "caf\xe9 \xc3\xa4"',
          'VAR dummy e.f ""',
          'VAR dummy g.h unquoted',
          'END LIST VAR dummy',
        ];
      }
      return fakeUpsd(l);
    });
    await same('upsc', [ups]);
  });
});

describe('tracking', () => {
  const ID = '2DDC5036-F665-4D29-BE4C-0374D091D263';

  it('gives up after -t seconds of PENDING', async () => {
    const ups = await serve((l) => {
      if (l.startsWith('USERNAME') || l.startsWith('PASSWORD') || l === 'SET TRACKING ON') return 'OK';
      if (l.startsWith('INSTCMD') || l.startsWith('SET VAR')) return `OK TRACKING ${ID}`;
      if (l.startsWith('GET TRACKING')) return 'PENDING';
      return fakeUpsd(l);
    });
    const nut = await same('upscmd', ['-w', '-t', '2', ...AUTH, ups, 'load.off']);
    expect(nut.stderr).toBe("Can't receive status tracking information: timeout\n");
    await same('upsrw', ['-w', '-t', '1', '-s', 'ups.id=x', ...AUTH, ups]);
  });

  it('prints an OK answer whose id does not have the expected length, without polling', async () => {
    const ups = await serve((l) => {
      if (l.startsWith('USERNAME') || l.startsWith('PASSWORD') || l === 'SET TRACKING ON') return 'OK';
      if (l.startsWith('INSTCMD')) return 'OK TRACKING short-id';
      return fakeUpsd(l);
    });
    await same('upscmd', ['-w', ...AUTH, ups, 'load.off']);
  });

  it('refuses to go on when SET TRACKING ON is refused', async () => {
    const ups = await serve((l) => {
      if (l.startsWith('USERNAME') || l.startsWith('PASSWORD')) return 'OK';
      if (l === 'SET TRACKING ON') return 'ERR USERNAME-REQUIRED';
      return fakeUpsd(l);
    });
    const nut = await same('upscmd', ['-w', ...AUTH, ups, 'load.off']);
    expect(nut.stderr).toBe('Enabling command status tracking failed. upsd answered: ERR USERNAME-REQUIRED\n');
    await same('upsrw', ['-w', '-s', 'ups.id=x', ...AUTH, ups]);
  });
});

describe('short and broken lists', () => {
  it('items with too few words', async () => {
    const ups = await serve((l) => {
      const w = l.split(' ');
      if (w[0] === 'LIST') {
        const q = w.slice(1).join(' ');
        // the echo plus nothing else: one word short of every item format
        return [`BEGIN LIST ${q}`, `${q}`, `END LIST ${q}`];
      }
      if (l === 'GET TYPE dummy x.enum') return 'TYPE dummy x.enum ENUM NUMBER';
      if (l === 'GET TYPE dummy x.range') return 'TYPE dummy x.range RANGE';
      if (w[0] === 'GET' && w[1] === 'VAR') return `VAR dummy ${w[3]} "1"`;
      return fakeUpsd(l);
    });
    await same('upsc', [ups]);
    await same('upsc', ['-l', ups.slice('dummy@'.length)]);
    await same('upsc', ['-c', ups]);
    await same('upscmd', ['-l', ups]);
    await same('upsrw', [ups]);
  });

  it('enum and range items with too few words', async () => {
    const ups = await serve((l) => {
      const w = l.split(' ');
      if (l === 'LIST RW dummy') return ['BEGIN LIST RW dummy', 'RW dummy x.enum "1"', 'RW dummy x.range "1"', 'END LIST RW dummy'];
      if (l === 'GET TYPE dummy x.enum') return 'TYPE dummy x.enum ENUM NUMBER';
      if (l === 'GET TYPE dummy x.range') return 'TYPE dummy x.range RANGE';
      if (w[0] === 'GET' && w[1] === 'VAR') return `VAR dummy ${w[3]} "1"`;
      if (l === 'LIST ENUM dummy x.enum') return ['BEGIN LIST ENUM dummy x.enum', 'ENUM dummy x.enum "1"', 'ENUM dummy x.enum', 'END LIST ENUM dummy x.enum'];
      if (l === 'LIST RANGE dummy x.range') return ['BEGIN LIST RANGE dummy x.range', 'RANGE dummy x.range "0"', 'END LIST RANGE dummy x.range'];
      return fakeUpsd(l);
    });
    const nut = await same('upsrw', [ups]);
    expect(nut.stderr).toMatch(/^Error: insufficient data/);
    const onlyRange = await serve((l) => {
      const w = l.split(' ');
      if (l === 'LIST RW dummy') return ['BEGIN LIST RW dummy', 'RW dummy x.range "1"', 'END LIST RW dummy'];
      if (l === 'GET TYPE dummy x.range') return 'TYPE dummy x.range RANGE';
      if (w[0] === 'GET' && w[1] === 'VAR') return `VAR dummy ${w[3]} "1"`;
      if (l === 'LIST RANGE dummy x.range') return ['BEGIN LIST RANGE dummy x.range', 'RANGE dummy x.range "0"', 'END LIST RANGE dummy x.range'];
      return fakeUpsd(l);
    });
    await same('upsrw', [onlyRange]);
  });

  it('an ERR or a hang-up inside a list ends it quietly', async () => {
    const ups = await serve((l) => {
      if (l === 'LIST VAR dummy') return ['BEGIN LIST VAR dummy', 'VAR dummy a.b "1"', 'ERR DATA-STALE'];
      if (l === 'LIST CMD dummy') return (socket) => socket.end('BEGIN LIST CMD dummy\nCMD dummy load.off\n');
      if (l === 'LIST RW dummy') return (socket) => socket.end('BEGIN LIST RW dummy\nRW dummy a.b "1"\nRW dummy c.d "2"\n');
      if (l === 'LIST UPS') return (socket) => socket.end('BEGIN LIST UPS\nUPS dummy "d"\n');
      return fakeUpsd(l);
    });
    const nut = await same('upsc', [ups]);
    expect(nut).toEqual({ stdout: 'a.b: 1\n', stderr: '', code: 0 });
    await same('upscmd', ['-l', ups]);
    await same('upsrw', [ups]);
    await same('upsc', ['-L', ups.slice('dummy@'.length)]);
  });
});

describe('a server that hangs up', () => {
  it('right after the connection', async () => {
    // the scripted server closes each socket as soon as a line arrives
    const ups = await serve(() => (socket) => socket.destroy());
    await same('upsc', [ups]);
    await same('upscmd', ['-l', ups]);
    await same('upsrw', [ups]);
  });
});

/**
 * upsc, upsrw and upscmd (built, in core/dist) against a scripted upsd. Expected texts are
 * NUT 2.8.0's formats as recorded in reference/clients.md §1-3; the side-by-side comparison
 * with NUT's own programs is in test/compat/clients-*.test.ts.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeUpsd, scriptServer, type ScriptServer } from './script-server.js';

const CLI = fileURLToPath(new URL('../../dist/cli/', import.meta.url));
// each test spawns several node processes: allow for a loaded machine
vi.setConfig({ testTimeout: 180_000 });
const servers: ScriptServer[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

function run(tool: string, args: string[], input = ''): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${CLI}${tool}.js`, ...args], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('latin1')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code }));
    child.stdin.end(input);
  });
}

const ID = '2DDC5036-F665-4D29-BE4C-0374D091D263';

/** fakeUpsd plus the writable variables of clients.md §2 and tracking. */
async function upsd(): Promise<string> {
  const s = await scriptServer((l) => {
    const w = l.split(' ');
    if (l === 'LIST RW dummy') {
      return [
        'BEGIN LIST RW dummy',
        ...['ups.id', 'input.transfer.low', 'ups.delay.shutdown', 'battery.charge', 'input.sensitivity'].map(
          (n) => `RW dummy ${n} "x"`,
        ),
        'END LIST RW dummy',
      ];
    }
    const types: Record<string, string> = {
      'ups.id': 'RW STRING:8',
      'input.transfer.low': 'RW ENUM NUMBER',
      'ups.delay.shutdown': 'RW RANGE NUMBER',
      'battery.charge': 'RW NUMBER',
      'input.sensitivity': 'RW ENUM STRING:10',
    };
    const values: Record<string, string> = {
      'ups.id': 'abc',
      'input.transfer.low': '100',
      'ups.delay.shutdown': '20',
      'battery.charge': '100',
      'input.sensitivity': 'M',
    };
    if (w[0] === 'GET' && w[1] === 'TYPE') return `TYPE dummy ${w[3]} ${types[w[3]]}`;
    if (w[0] === 'GET' && w[1] === 'VAR' && values[w[3]]) return `VAR dummy ${w[3]} "${values[w[3]]}"`;
    if (w[0] === 'GET' && w[1] === 'DESC') return w[3] === 'ups.id' ? 'ERR UNKNOWN-UPS' : `DESC dummy ${w[3]} "About ${w[3]}"`;
    if (l === 'LIST ENUM dummy input.sensitivity') {
      return ['BEGIN LIST ENUM dummy input.sensitivity', ...['L', 'M', 'H'].map((v) => `ENUM dummy input.sensitivity "${v}"`), 'END LIST ENUM dummy input.sensitivity'];
    }
    if (l.startsWith('USERNAME') || l.startsWith('PASSWORD') || l === 'SET TRACKING ON') return 'OK';
    if (l.startsWith('SET VAR dummy ups.id')) return l.includes('TOOLONG') ? 'ERR TOO-LONG' : 'OK';
    if (l.startsWith('INSTCMD')) return `OK TRACKING ${ID}`;
    if (l === `GET TRACKING ${ID}`) return 'SUCCESS';
    return fakeUpsd(l);
  });
  servers.push(s);
  return `dummy@127.0.0.1:${s.port}`;
}

describe('upsc', () => {
  it('prints name: value lines, single values, UPS lists and clients', async () => {
    const ups = await upsd();
    expect(await run('upsc', [ups])).toEqual({
      stdout: 'battery.charge: 100\ncustom.hash: a#b\nups.mfr: ACME "Quoted" Inc\nups.status: OL CHRG\n',
      stderr: '',
      code: 0,
    });
    expect((await run('upsc', [ups, 'ups.status'])).stdout).toBe('OL CHRG\n');
    expect(await run('upsc', [ups, 'nosuch.var'])).toEqual({ stdout: '', stderr: 'Error: Variable not supported by UPS\n', code: 1 });
    expect(await run('upsc', [ups, 'nodot'])).toEqual({ stdout: '', stderr: 'Error: old-style variable names are not supported\n', code: 1 });
    const host = ups.slice('dummy@'.length);
    expect((await run('upsc', ['-l', host])).stdout).toBe('dummy\nother\n');
    expect((await run('upsc', ['-L', host])).stdout).toBe('dummy: Test "dummy" device\nother: Description unavailable\n');
    expect((await run('upsc', ['-c', ups])).stdout).toBe('127.0.0.1\n::1\n');
  });

  it('--json', async () => {
    const ups = await upsd();
    expect(JSON.parse((await run('upsc', ['--json', ups])).stdout)).toEqual({
      'battery.charge': '100',
      'custom.hash': 'a#b',
      'ups.mfr': 'ACME "Quoted" Inc',
      'ups.status': 'OL CHRG',
    });
    expect(JSON.parse((await run('upsc', ['-l', '--json', ups.slice('dummy@'.length)])).stdout)).toEqual(['dummy', 'other']);
  });

  it('argument errors', async () => {
    expect(await run('upsc', [])).toEqual({
      stdout: '',
      stderr: 'Error: invalid UPS definition.\nRequired format: upsname[@hostname[:port]]\n',
      code: 1,
    });
    const help = await run('upsc', ['-h']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Network UPS Tools upsc 2\.8\.0\n\nusage: upsc -l \| -L \[<hostname>\[:port\]\]\n/);
    expect(await run('upsc', ['-V'])).toEqual({ stdout: '', stderr: 'Network UPS Tools upscmd 2.8.0\n', code: 0 });
  });
});

describe('upsrw', () => {
  it('lists writable variables in NUT’s layout', async () => {
    const ups = await upsd();
    const r = await run('upsrw', [ups]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        '[ups.id]',
        'Description unavailable',
        'Type: STRING',
        'Maximum length: 8',
        'Value: abc',
        '',
        '[input.transfer.low]',
        'About input.transfer.low',
        'Type: ENUM NUMBER',
        'Option: "100" SELECTED',
        'Option: "103"',
        '',
        '[ups.delay.shutdown]',
        'About ups.delay.shutdown',
        'Type: RANGE NUMBER',
        'Option: "0-60" SELECTED',
        'Option: "120-180"',
        '',
        '[battery.charge]',
        'About battery.charge',
        'Type: NUMBER',
        'Value: 100',
        '',
        '[input.sensitivity]',
        'About input.sensitivity',
        'Type: ENUM STRING',
        'Maximum length: 10',
        'Option: "L"',
        'Option: "M" SELECTED',
        'Option: "H"',
        '',
        '',
      ].join('\n'),
    );
  });

  it('--json describes each variable', async () => {
    const ups = await upsd();
    const list = JSON.parse((await run('upsrw', ['--json', ups])).stdout) as unknown[];
    expect(list[0]).toEqual({ name: 'ups.id', description: 'Description unavailable', type: 'STRING', maxLength: 8, value: 'abc' });
    expect(list[2]).toEqual({
      name: 'ups.delay.shutdown',
      description: 'About ups.delay.shutdown',
      type: 'RANGE',
      valueType: 'NUMBER',
      value: '20',
      ranges: [
        { min: 0, max: 60 },
        { min: 120, max: 180 },
      ],
    });
  });

  it('sets with -u/-p, answers on stderr, refusals exit 1', async () => {
    const ups = await upsd();
    expect(await run('upsrw', ['-s', 'ups.id=new', '-u', 'a', '-p', 'b', ups])).toEqual({ stdout: '', stderr: 'OK\n', code: 0 });
    expect(await run('upsrw', ['-s', 'ups.id=TOOLONG', '-u', 'a', '-p', 'b', ups])).toEqual({
      stdout: '',
      stderr: 'Unexpected response from upsd: ERR TOO-LONG\n',
      code: 1,
    });
    // prompts: username on stdout, password on stderr (no terminal), value on stdout
    expect(await run('upsrw', ['-s', 'ups.id', ups], 'me\npw\nvalue\n')).toMatchObject({
      stdout: expect.stringMatching(/^Username \(.*\): Enter new value for ups\.id: $/),
      stderr: 'Password: OK\n',
      code: 0,
    });
  });
});

describe('upscmd', () => {
  it('-l lists commands with descriptions', async () => {
    const ups = await upsd();
    expect(await run('upscmd', ['-l', ups])).toEqual({
      stdout: 'Instant commands supported on UPS [dummy]:\n\nload.off - Some command\ntest.battery.start - Some command\n',
      stderr: '',
      code: 0,
    });
  });

  it('-w waits for the tracked result', async () => {
    const ups = await upsd();
    expect(await run('upscmd', ['-w', '-u', 'a', '-p', 'b', ups, 'load.off'])).toEqual({ stdout: '', stderr: 'SUCCESS\n', code: 0 });
    const json = JSON.parse((await run('upscmd', ['--json', '-w', '-u', 'a', '-p', 'b', ups, 'load.off', '5'])).stdout);
    expect(json).toEqual({ ups: 'dummy', command: 'load.off', value: '5', result: 'SUCCESS', tracking: ID });
  });
});

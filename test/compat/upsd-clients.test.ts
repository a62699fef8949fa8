/**
 * NUT's own clients (upsc, upsrw, upscmd, upslog) and PyNUT against our upsd give
 * what they give against NUT's upsd: same exit status, same stdout, same stderr (the port
 * number aside). Our upsd runs with DATAPATH /usr/share/nut so upsrw's descriptions match.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, startPair, type Pair } from './upsd-harness.js';
import { makeSandbox, stopChild } from '../helpers/oracle.js';
// upsmon is covered by its wire transcript in upsd-transcripts.test.ts: the real one keeps a
// PID file in the compiled /run/nut that parallel test runs would fight over.

let pair: Pair;

beforeAll(async () => {
  pair = await startPair({
    fixtures: [
      { name: 'ups1', file: `${FIXTURES}/ddl/APC__Smart-UPS_1000__usbhid-ups__2.4.1__01.dev`, desc: 'Rack "A" #1' },
      { name: 'epdu', file: `${FIXTURES}/nut-data/epdu-managed.dev` },
      { name: 'fsdups', file: `${FIXTURES}/ddl/Eaton__9PX__snmp-ups__2.7.4__01.dev` },
    ],
    withDatapath: true,
  });
}, 300_000);

afterAll(async () => {
  await pair?.stop();
});

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], port: number, input?: string): Run {
  const r = spawnSync(cmd, args.map((a) => a.replaceAll('PORT', String(port))), { encoding: 'latin1', input, timeout: 60_000 });
  const norm = (s: string) => s.replaceAll(String(port), 'PORT');
  return { status: r.status, stdout: norm(r.stdout), stderr: norm(r.stderr) };
}

function same(cmd: string, args: string[], input?: string): { nut: Run; ours: Run } {
  const nut = run(cmd, args, pair.nut.port, input);
  const ours = run(cmd, args, pair.oursDatapath!.port, input);
  return { nut, ours };
}

const CASES: Array<[string, string[]]> = [
  ['upsc', ['-l', '127.0.0.1:PORT']],
  ['upsc', ['-L', '127.0.0.1:PORT']],
  ['upsc', ['ups1@127.0.0.1:PORT']],
  ['upsc', ['epdu@127.0.0.1:PORT']],
  ['upsc', ['ups1@127.0.0.1:PORT', 'ups.status']],
  ['upsc', ['UPS1@127.0.0.1:PORT', 'UPS.MFR']],
  ['upsc', ['ups1@127.0.0.1:PORT', 'bogus.var']],
  ['upsc', ['nosuch@127.0.0.1:PORT']],
  ['upsc', ['-c', 'ups1@127.0.0.1:PORT']],
  ['upsrw', ['ups1@127.0.0.1:PORT']],
  ['upsrw', ['epdu@127.0.0.1:PORT']],
  ['upsrw', ['-s', 'ups.delay.shutdown=20', '-u', 'admin', '-p', 'secret', 'ups1@127.0.0.1:PORT']],
  ['upsrw', ['-s', 'ups.delay.shutdown=20', '-u', 'reader', '-p', 'readonly', 'ups1@127.0.0.1:PORT']],
  ['upsrw', ['-s', 'no.such.var=1', '-u', 'admin', '-p', 'secret', 'ups1@127.0.0.1:PORT']],
  ['upsrw', ['-s', 'driver.name=x', '-u', 'admin', '-p', 'secret', 'ups1@127.0.0.1:PORT']],
  ['upsrw', ['-w', '-s', 'battery.charge.low=10', '-u', 'admin', '-p', 'secret', 'ups1@127.0.0.1:PORT']],
  ['upscmd', ['-l', 'ups1@127.0.0.1:PORT']],
  ['upscmd', ['-l', 'nosuch@127.0.0.1:PORT']],
  ['upscmd', ['-u', 'admin', '-p', 'secret', 'ups1@127.0.0.1:PORT', 'load.off']],
  ['upscmd', ['-u', 'reader', '-p', 'readonly', 'ups1@127.0.0.1:PORT', 'load.off']],
  ['upscmd', ['-u', 'tester', '-p', 't3st', 'ups1@127.0.0.1:PORT', 'load.off', '5']],
  ['upscmd', ['-u', 'admin', '-p', 'secret', 'ups1@127.0.0.1:PORT', 'no.such.cmd']],
  ['upscmd', ['-w', '-u', 'admin', '-p', 'secret', 'ups1@127.0.0.1:PORT', 'load.off']],
];

describe("NUT's command-line clients", () => {
  for (const [cmd, args] of CASES) {
    it(`${cmd} ${args.join(' ')}`, () => {
      const { nut, ours } = same(cmd, args);
      expect(ours).toEqual(nut);
    });
  }

  it('upslog -l - -i 1: same log lines (timestamps aside)', async () => {
    const capture = async (port: number) => {
      const child = spawn('upslog', ['-s', `ups1@127.0.0.1:${port}`, '-l', '-', '-i', '1', '-f', '%VAR ups.status% %VAR battery.charge% %VAR ups.mfr% %UPSHOST% %VAR bogus%'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      const deadline = Date.now() + 20_000;
      while (out.split('\n').length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await stopChild(child);
      return out.split('\n').slice(0, 2).map((l) => l.replaceAll(String(port), 'PORT'));
    };
    const nut = await capture(pair.nut.port);
    const ours = await capture(pair.oursDatapath!.port);
    expect(nut.length).toBe(2);
    expect(ours).toEqual(nut);
  });

  it('PyNUT (python3-nut): lists, RW, commands, SET, INSTCMD, FSD, errors', () => {
    const sb = makeSandbox('pynut-');
    try {
      const script = join(sb.dir, 'probe.py');
      writeFileSync(script, PYNUT_PROBE);
      const go = (port: number) => run('/usr/bin/python3', [script, String(port)], port);
      const nut = go(pair.nut.port);
      const ours = go(pair.oursDatapath!.port);
      expect(nut.status).toBe(0);
      expect(Object.keys(JSON.parse(nut.stdout).vars)).toContain("b'ups.status'");
      expect(ours).toEqual(nut);
    } finally {
      sb.cleanup();
    }
  });
});

const PYNUT_PROBE = `
import sys, json, PyNUT
port = int(sys.argv[1])
out = {}
def rec(name, fn):
    try:
        v = fn()
        if isinstance(v, dict):
            v = {str(k): (sorted(x) if isinstance(x, list) else str(x)) for k, x in v.items()}
        out[name] = v if isinstance(v, (dict, list, str, int, bool)) or v is None else str(v)
    except Exception as e:
        out[name] = 'EXC ' + type(e).__name__ + ': ' + str(e)
anon = PyNUT.PyNUTClient(host='127.0.0.1', port=port)
rec('list', anon.GetUPSList)
rec('vars', lambda: anon.GetUPSVars('ups1'))
rec('epdu', lambda: anon.GetUPSVars('epdu'))
rec('cmds', lambda: anon.GetUPSCommands('ups1'))
rec('rw', lambda: anon.GetRWVars('ups1'))
rec('help', anon.help)
rec('ver', anon.ver)
rec('clients', lambda: anon.ListClients('ups1'))
rec('bad', lambda: anon.GetUPSVars('nosuch'))
rec('set_anon', lambda: anon.SetRWVar('ups1', 'ups.delay.shutdown', '20'))
admin = PyNUT.PyNUTClient(host='127.0.0.1', port=port, login='admin', password='secret')
rec('set', lambda: admin.SetRWVar('ups1', 'ups.delay.shutdown', '20'))
rec('cmd', lambda: admin.RunUPSCommand('ups1', 'load.off'))
rec('cmd_bad', lambda: admin.RunUPSCommand('ups1', 'no.such'))
rec('fsd_denied', lambda: admin.FSD('ups1'))
mon = PyNUT.PyNUTClient(host='127.0.0.1', port=port, login='upsmaster', password='mpw')
rec('fsd', lambda: mon.FSD('fsdups'))
print(json.dumps(out, indent=1, sort_keys=True))
`;

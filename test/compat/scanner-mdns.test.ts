/**
 * mDNS: our host with the `mdns` setting on announces its upsd; nut-scanner -A finds it and
 * lists each UPS as NUT's scanner prints Avahi results. Multicast needs an interface that
 * carries it, so both run in a network namespace of their own (unshare -n) whose loopback
 * has multicast on: no packet leaves it.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSandbox, requireOracle, type Sandbox } from '../helpers/oracle.js';
import { FIXTURES } from './upsd-harness.js';
import { OUR_SCANNER, ROOT } from './scanner-harness.js';

const NUT = join(ROOT, 'core/dist/cli/nut.js');
/** Stops the host through its control socket and waits for it; its log goes to stderr. */
const STOP = `node ${NUT} stop >/dev/null 2>&1; kill $host 2>/dev/null; wait $host 2>/dev/null; cat host.log >&2; true`;

function inNamespace(script: string, env: NodeJS.ProcessEnv, cwd: string): { status: number | null; stdout: string; stderr: string } {
  const setup = 'ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo';
  const r = spawnSync('unshare', ['-n', '--', 'bash', '-c', `${setup} && ${script}`], { env, cwd, encoding: 'utf8', timeout: 90_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('mDNS: our upsd announces, nut-scanner -A finds it', () => {
  let sb: Sandbox;
  beforeAll(() => {
    requireOracle();
    const unshare = spawnSync('unshare', ['-n', 'true']);
    if (unshare.status !== 0) throw new Error('unshare -n failed (needs root and util-linux): network namespaces keep mDNS off the real network');
    sb = makeSandbox('scanner-mdns-');
    sb.copy(join(FIXTURES, 'nut-data/evolution500.seq'));
    sb.copy(join(FIXTURES, 'nut-data/epdu-managed.dev'));
    sb.write('ups.conf', '[evo]\n  driver = dummy-ups\n  port = evolution500.seq\n[pdu]\n  driver = dummy-ups\n  port = epdu-managed.dev\n');
    sb.write('upsd.conf', 'LISTEN 127.0.0.1 13493\n');
    sb.write('upsd.users', '');
  });
  afterAll(() => {
    if (!sb) return;
    spawnSync(process.execPath, [NUT, 'stop'], { env: sb.env, timeout: 30_000 });
    sb.cleanup();
  });

  const scanLoop = (args: string) =>
    `node ${NUT} start >host.log 2>&1 & host=$!; ` +
    `for i in $(seq 1 40); do out=$(node ${OUR_SCANNER} ${args}); [ -n "$out" ] && break; done; ` +
    `printf '%s\\n' "$out"; ${STOP}`;

  it('with the setting on: each UPS as <ups>@<address>:<port>, desc IPv4', () => {
    sb.write('../nut-ts.config.json', JSON.stringify({ mdns: { enabled: true } }));
    const r = inNamespace(scanLoop('-A -q -P -t 1'), sb.env, sb.dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('NUT:driver="nutclient",port="evo@127.0.0.1:13493",desc="IPv4"\nNUT:driver="nutclient",port="pdu@127.0.0.1:13493",desc="IPv4"\n');
  });

  it('off by default: nothing is announced', () => {
    sb.write('../nut-ts.config.json', JSON.stringify({}));
    const r = inNamespace(
      `node ${NUT} start >host.log 2>&1 & host=$!; for i in $(seq 1 100); do upsc -l 127.0.0.1:13493 >/dev/null 2>&1 && break; sleep 0.1; done; ` +
        `upsc -l 127.0.0.1:13493 2>/dev/null; node ${OUR_SCANNER} -A -q -P -t 1; ${STOP}`,
      sb.env,
      sb.dir,
    );
    expect(r.status, r.stderr).toBe(0);
    // upsd answered (upsc -l lists both), and the scan found nothing
    expect(r.stdout, r.stderr).toBe('evo\npdu\n');
  });
});

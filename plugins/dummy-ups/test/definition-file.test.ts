import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DefinitionFile } from '../src/definition-file.js';

const dir = mkdtempSync(join(tmpdir(), 'nut-ts-def-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(text: string) {
  const path = join(dir, `f${Math.random().toString(36).slice(2)}.seq`);
  writeFileSync(path, text, 'latin1');
  const events: string[] = [];
  let statusWords: string[] = [];
  let now = 1000;
  const f = new DefinitionFile(
    path,
    {
      status: {
        init: () => (statusWords = []),
        set: (t) => statusWords.push(t),
        commit: () => events.push(`status=${statusWords.join('|')}`),
      },
      setvar: (n, v) => events.push(`${n}=${v}`),
      debug: () => {},
    },
    () => now,
  );
  return { f, events, tick: (s: number) => (now += s) };
}

describe('dummy-ups definition file engine (dummy-ups.md §2)', async () => {
  it('cuts names at the first colon, joins words with single spaces, drops quotes, skips driver.* and comments', async () => {
    const { f, events } = run(
      '# comment\nbattery.charge: 90\nups.mfr:  MGE   UPS "SYS  TEMS"\ndriver.name: usbhid-ups\nups.model Foo Bar\nups.test.result : val\n\nfoo.bar: "50"\n',
    );
    await f.parse();
    expect(events).toEqual(['battery.charge=90', 'ups.mfr=MGE UPS SYS  TEMS', 'ups.model=Foo Bar', 'ups.test.result=: val', 'foo.bar=50']);
    expect(f.open).toBe(false);
  });

  it('ups.status words go one by one through the composer; an empty status commits empty', async () => {
    const { f, events } = run('ups.status: OB   LB\nups.status:\nups.statusx: A B\n');
    await f.parse();
    expect(events).toEqual(['status=OB|LB', 'status=', 'status=A|B']);
  });

  it('a line without a value reuses the previous value (NUT buffer bug), also across passes', async () => {
    const { f, events } = run('ups.id: my_device234\nups.status: OL\nups.macaddr: \n');
    await f.parse();
    await f.parse();
    expect(events).toEqual(['ups.id=my_device234', 'status=OL', 'ups.macaddr=my_device234', 'ups.id=my_device234', 'status=OL', 'ups.macaddr=my_device234']);
  });

  it('values are cut to 127 characters', async () => {
    const { f, events } = run(`long.val: ${'x'.repeat(100)} ${'y'.repeat(100)}\n`);
    await f.parse();
    expect(events[0]).toBe(`long.val=${('x'.repeat(100) + ' ' + 'y'.repeat(100)).slice(0, 127)}`);
  });

  it('TIMER stops the pass and resumes after the delay; the end of file starts over', async () => {
    const { f, events, tick } = run('ups.status: OL\nTIMER 5\nups.status: OB\nTIMERX 2\nups.status: OB LB\n');
    await f.parse();
    expect(events).toEqual(['status=OL']);
    expect(f.open).toBe(true);
    tick(4);
    await f.parse();
    expect(events).toEqual(['status=OL']);
    tick(1);
    await f.parse();
    expect(events).toEqual(['status=OL', 'status=OB']);
    tick(2);
    await f.parse();
    expect(events).toEqual(['status=OL', 'status=OB', 'status=OB|LB']);
    expect(f.open).toBe(false);
    await f.parse();
    expect(events.at(-1)).toBe('status=OL');
  });

  it('parse errors skip the words before them and read the rest of the line as a new line', async () => {
    const { f, events } = run('ups.mfr: "ACME #x\\\\ Inc\\"\nups.model: M\n');
    await f.parse();
    expect(events).toEqual(['x\\=Inc"', 'ups.model=M']);
  });

  it('a missing file is fatal with NUT\'s message', async () => {
    const f = new DefinitionFile(join(dir, 'nofile.dev'), { status: { init() {}, set() {}, commit() {} }, setvar() {}, debug() {} });
    await expect(f.parse()).rejects.toThrow(`Can't open dummy-ups definition file ${join(dir, 'nofile.dev')}: Can't open ${join(dir, 'nofile.dev')}: No such file or directory`);
  });

  it('a FIFO is refused at once with a clear message (no thread waits for a writer)', async () => {
    const fifo = join(dir, 'pipe.dev');
    execFileSync('mkfifo', [fifo]);
    const f = new DefinitionFile(fifo, { status: { init() {}, set() {}, commit() {} }, setvar() {}, debug() {} });
    await expect(f.parse()).rejects.toThrow(`Can't open dummy-ups definition file ${fifo}: Can't open ${fifo}: not a regular file (a FIFO); dummy-ups reads .dev and .seq files only`);
    // nothing is left waiting: a second try answers the same way
    await expect(f.parse()).rejects.toThrow(/not a regular file \(a FIFO\)/);
  });
});

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

describe('dummy-ups definition file engine (dummy-ups.md §2)', () => {
  it('cuts names at the first colon, joins words with single spaces, drops quotes, skips driver.* and comments', () => {
    const { f, events } = run(
      '# comment\nbattery.charge: 90\nups.mfr:  MGE   UPS "SYS  TEMS"\ndriver.name: usbhid-ups\nups.model Foo Bar\nups.test.result : val\n\nfoo.bar: "50"\n',
    );
    f.parse();
    expect(events).toEqual(['battery.charge=90', 'ups.mfr=MGE UPS SYS  TEMS', 'ups.model=Foo Bar', 'ups.test.result=: val', 'foo.bar=50']);
    expect(f.open).toBe(false);
  });

  it('ups.status words go one by one through the composer; an empty status commits empty', () => {
    const { f, events } = run('ups.status: OB   LB\nups.status:\nups.statusx: A B\n');
    f.parse();
    expect(events).toEqual(['status=OB|LB', 'status=', 'status=A|B']);
  });

  it('a line without a value reuses the previous value (NUT buffer bug), also across passes', () => {
    const { f, events } = run('ups.id: my_device234\nups.status: OL\nups.macaddr: \n');
    f.parse();
    f.parse();
    expect(events).toEqual(['ups.id=my_device234', 'status=OL', 'ups.macaddr=my_device234', 'ups.id=my_device234', 'status=OL', 'ups.macaddr=my_device234']);
  });

  it('values are cut to 127 characters', () => {
    const { f, events } = run(`long.val: ${'x'.repeat(100)} ${'y'.repeat(100)}\n`);
    f.parse();
    expect(events[0]).toBe(`long.val=${('x'.repeat(100) + ' ' + 'y'.repeat(100)).slice(0, 127)}`);
  });

  it('TIMER stops the pass and resumes after the delay; the end of file starts over', () => {
    const { f, events, tick } = run('ups.status: OL\nTIMER 5\nups.status: OB\nTIMERX 2\nups.status: OB LB\n');
    f.parse();
    expect(events).toEqual(['status=OL']);
    expect(f.open).toBe(true);
    tick(4);
    f.parse();
    expect(events).toEqual(['status=OL']);
    tick(1);
    f.parse();
    expect(events).toEqual(['status=OL', 'status=OB']);
    tick(2);
    f.parse();
    expect(events).toEqual(['status=OL', 'status=OB', 'status=OB|LB']);
    expect(f.open).toBe(false);
    f.parse();
    expect(events.at(-1)).toBe('status=OL');
  });

  it('parse errors skip the words before them and read the rest of the line as a new line', () => {
    const { f, events } = run('ups.mfr: "ACME #x\\\\ Inc\\"\nups.model: M\n');
    f.parse();
    expect(events).toEqual(['x\\=Inc"', 'ups.model=M']);
  });

  it('a missing file is fatal with NUT\'s message', () => {
    const f = new DefinitionFile(join(dir, 'nofile.dev'), { status: { init() {}, set() {}, commit() {} }, setvar() {}, debug() {} });
    expect(() => f.parse()).toThrow(`Can't open dummy-ups definition file ${join(dir, 'nofile.dev')}: Can't open ${join(dir, 'nofile.dev')}: No such file or directory`);
  });
});

import { describe, expect, it } from 'vitest';
import { atoi, decodeOp, encodeOp } from '../../src/driver-socket/codec.js';
import { tokenizeConfig } from '../../src/config/parseconf.js';
import { FLAG_NUMBER, FLAG_RW, FLAG_STRING, type DstateOp } from '../../src/dstate/ops.js';

describe('driver socket text form', () => {
  it('writes the lines NUT 2.8.0 writes in a DUMPALL (sock-protocol.md §5)', () => {
    expect(encodeOp({ op: 'SETINFO', name: 'custom.hash', value: 'a#b' })).toBe('SETINFO custom.hash "a\\#b"\n');
    expect(encodeOp({ op: 'SETINFO', name: 'device.mfr', value: 'ACME \\"Quoted\\" Inc' })).toBe(
      'SETINFO device.mfr "ACME \\\\\\"Quoted\\\\\\" Inc"\n',
    );
    expect(encodeOp({ op: 'SETFLAGS', name: 'Alpha.var', flags: FLAG_STRING | FLAG_RW })).toBe('SETFLAGS Alpha.var RW STRING\n');
    expect(encodeOp({ op: 'SETAUX', name: 'Alpha.var', aux: 32 })).toBe('SETAUX Alpha.var 32\n');
    expect(encodeOp({ op: 'ADDCMD', name: 'load.off' })).toBe('ADDCMD load.off\n');
    expect(encodeOp({ op: 'DATAOK' })).toBe('DATAOK\n');
  });

  it('reads every op back through the tokenizer', () => {
    const ops: DstateOp[] = [
      { op: 'SETINFO', name: 'ups.mfr', value: 'Via "socket" #1 \\ end' },
      { op: 'DELINFO', name: 'x' },
      { op: 'SETFLAGS', name: 'x', flags: FLAG_RW | FLAG_NUMBER },
      { op: 'SETAUX', name: 'x', aux: 16 },
      { op: 'ADDENUM', name: 'x', value: 'a b' },
      { op: 'DELENUM', name: 'x', value: 'a b' },
      { op: 'ADDRANGE', name: 'x', min: -5, max: 60 },
      { op: 'DELRANGE', name: 'x', min: -5, max: 60 },
      { op: 'ADDCMD', name: 'load.on' },
      { op: 'DELCMD', name: 'load.on' },
      { op: 'DATAOK' },
      { op: 'DATASTALE' },
    ];
    const text = ops.map(encodeOp).join('');
    const decoded = tokenizeConfig(text).lines.map((l) => decodeOp(l.words));
    expect(decoded).toEqual(ops);
  });

  it('matches verbs case-insensitively and rejects short messages as upsd does', () => {
    expect(decodeOp(['setinfo', 'a', 'b'])).toEqual({ op: 'SETINFO', name: 'a', value: 'b' });
    expect(decodeOp(['SETFLAGS', 'a'])).toBeNull();
    expect(decodeOp(['ADDRANGE', 'a', '1'])).toBeNull();
    expect(decodeOp(['SETFLAGS', 'a', 'bogus', 'RW'])).toEqual({ op: 'SETFLAGS', name: 'a', flags: FLAG_RW });
    expect(decodeOp(['FOO', 'bar'])).toBeNull();
    expect(decodeOp([])).toBeNull();
  });

  it('converts numbers like C atoi', () => {
    expect(atoi('150abc')).toBe(150);
    expect(atoi('abc')).toBe(0);
    expect(atoi('  -12')).toBe(-12);
    expect(atoi('99999999999')).toBe(2147483647);
  });
});

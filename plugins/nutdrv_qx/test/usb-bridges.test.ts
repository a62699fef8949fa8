/**
 * The serial-over-USB bridges against fake chips framed as NUT's bridge code expects
 * (drivers/nutdrv_qx.c: cypress_command, phoenix_command, ippon_command, sgs_command), and
 * the choice of bridge from NUT's USB id table.
 */
import { describe, expect, it } from 'vitest';
import { cypress, ippon, phoenix, sgs } from '../src/usb/bridges.js';
import { fabula, fabulaIndex, hunnox, krauler } from '../src/usb/string-bridges.js';
import { armac, fuji } from '../src/usb/packet-bridges.js';
import { bridgeFor, usbIdTable } from '../src/usb/link.js';
import { eightByteChunks, FakeBridge } from './helpers/fake-usb.js';

const Q1 = '(226.0 195.0 226.0 014 49.0 27.5 30.0 00001001\r';
const answer = (cmd: string) => (cmd === 'Q1' ? Q1 : null);

describe('nutdrv_qx USB bridges', () => {
  it('cypress: 8-byte class control chunks (0x21/0x09/0x200, zero padded) and 8-byte interrupt reads up to the CR', async () => {
    const chip = new FakeBridge(answer, eightByteChunks);
    expect(await cypress(chip, 'Q1\r')).toBe(Q1);
    expect(chip.controls).toEqual([{ requestType: 0x21, request: 0x09, value: 0x200, index: 0, data: 'Q1\r\0\0\0\0\0' }]);
    // A long command goes out in several chunks.
    await cypress(chip, 'S.5R0003\r');
    expect(chip.controls.slice(1).map((c) => c.data)).toEqual(['S.5R0003', '\r\0\0\0\0\0\0\0']);
  });

  it('cypress: a reply that does not come (timeout) fails the command, as in NUT', async () => {
    expect(await cypress(new FakeBridge(() => null, eightByteChunks), 'Q\r')).toBeNull();
  });

  it('phoenix: drains stale data first, then as cypress', async () => {
    const chip = new FakeBridge(answer, eightByteChunks);
    await chip.controlOut({ requestType: 0x21, request: 9, value: 0x200, index: 0 }, Buffer.from('Q1\r')); // stale reply queued
    expect(await phoenix(chip, 'Q1\r')).toBe(Q1);
  });

  it('ippon: wValue 0x02, one 64-byte read cut at the CR', async () => {
    const chip = new FakeBridge(answer, (r) => [new Uint8Array(Buffer.concat([Buffer.from(r, 'latin1'), Buffer.alloc(64 - r.length)]))]);
    expect(await ippon(chip, 'Q1\r')).toBe(Q1);
    expect(chip.controls[0]!.value).toBe(0x02);
  });

  it('sgs: a length byte before 7 command bytes per chunk, and per reply chunk', async () => {
    const frame = (r: string) => Array.from({ length: Math.ceil(r.length / 7) }, (_, i) => {
      const part = Buffer.from(r.slice(i * 7, i * 7 + 7), 'latin1');
      return new Uint8Array(Buffer.concat([Buffer.from([part.length]), part, Buffer.alloc(7 - part.length)]));
    });
    const chip = new FakeBridge(answer, frame, (c) => Buffer.from(c.subarray(1, 1 + c[0]!)).toString('latin1'));
    expect(await sgs(chip, 'Q1\r')).toBe(Q1);
    expect(chip.controls[0]!.data).toBe('\x03Q1\r\0\0\0\0');
  });

  it("picks the bridge from NUT's id table (first row that fits, strings when the row names them)", () => {
    const rows = usbIdTable();
    const info = (vendorId: number, productId: number, manufacturer = '', product = '') => ({ vendorId, productId, release: 0, manufacturer, product, serial: '', bus: '001', device: '002', busport: '1-1' });
    expect(bridgeFor(info(0x0665, 0x5161), rows)).toBe('cypress');
    expect(bridgeFor(info(0x06da, 0x0002, 'Phoenixtec Power', 'USB Cable (V2.00)'), rows)).toBe('phoenixtec');
    expect(bridgeFor(info(0x06da, 0x0002, 'Other'), rows)).toBe('cypress');
    expect(bridgeFor(info(0x06da, 0x0003), rows)).toBe('ippon');
    expect(bridgeFor(info(0x0001, 0x0000, 'MEC', 'MEC0003'), rows)).toBe('fabula');
    expect(bridgeFor(info(0x0001, 0x0000, 'x', 'MEC0003'), rows)).toBe('hunnox');
    expect(bridgeFor(info(0x0001, 0x0000), rows)).toBe('krauler');
    expect(bridgeFor(info(0x1234, 0x0000), rows)).toBeUndefined();
  });
});

describe('string-descriptor bridges', () => {
  const utf16 = (s: string) => {
    const body = Buffer.from(s, 'utf16le');
    return new Uint8Array(Buffer.concat([Buffer.from([body.length + 2, 3]), body]));
  };
  function stringsChip(strings: Record<number, string[]>) {
    const asked: Array<[number, number | undefined]> = [];
    const chip = new FakeBridge(() => null, () => []);
    chip.getString = async (index: number) => {
      asked.push([index, undefined]);
      const q = strings[index];
      return q && q.length > 1 ? q.shift()! : (q?.[0] ?? '');
    };
    chip.getStringRaw = async (index: number, langid: number) => {
      asked.push([index, langid]);
      const q = strings[index];
      return utf16(q && q.length > 1 ? q.shift()! : (q?.[0] ?? ''));
    };
    return { chip, asked };
  }

  it('krauler: Q1 from string 3 with "(" put back, "UPS No Ack" retried, unknown commands echoed', async () => {
    const { chip, asked } = stringsChip({ 3: ['UPS No Ack', 'x226.0 195.0 226.0 014 49.0 27.5 30.0 00001001'] });
    const bridge = krauler({ hunnoxStep: 0 });
    expect(await bridge(chip, 'Q1\r')).toBe('(226.0 195.0 226.0 014 49.0 27.5 30.0 00001001\r');
    expect(asked).toEqual([[3, undefined], [3, undefined]]);
    expect(await bridge(chip, 'S.5R0003\r')).toBe('S.5R0003\r');
  });

  it('krauler with langid_fix reads raw descriptors in that language', async () => {
    const { chip, asked } = stringsChip({ 0x0d: ['#230.0 000 024.0 50.0'] });
    expect(await krauler({ langidFix: 0x4095, hunnoxStep: 0 })(chip, 'F\r')).toBe('#230.0 000 024.0 50.0\r');
    expect(asked).toEqual([[0x0d, 0x4095]]);
  });

  it('fabula: shutdown delays encoded in the string index; "UPS No Ack" is an empty reply', async () => {
    expect([fabulaIndex('S.5R0000\r'), fabulaIndex('S.5R0003\r'), fabulaIndex('S.9\r'), fabulaIndex('S01R0001\r'), fabulaIndex('S10\r')]).toEqual([0x10, 0x18, 0x58, 0x68, 0xf8]);
    const { chip } = stringsChip({ 0x18: ['UPS No Ack'], 3: ['(226.0 195.0 226.0 014 49.0 27.5 30.0 00001001'] });
    expect(await fabula()(chip, 'S.5R0003\r')).toBe('');
    expect(await fabula()(chip, 'Q1\r')).toBe('(226.0 195.0 226.0 014 49.0 27.5 30.0 00001001\r');
  });

  it('hunnox: primes with string reads before the first query', async () => {
    const { chip, asked } = stringsChip({ 3: ['(226.0 195.0 226.0 014 49.0 27.5 30.0 00001001\r'] });
    const bridge = hunnox({ hunnoxStep: 0 });
    expect(await bridge(chip, 'Q1\r')).toBe('(226.0 195.0 226.0 014 49.0 27.5 30.0 00001001\r');
    expect(asked).toEqual([[0, 0x409], [0, 0x409], [1, 0x409], [3, undefined]]);
    await bridge(chip, 'Q1\r');
    expect(asked.slice(4)).toEqual([[0x0d, 0x409], [3, undefined]]);
  });
});

describe('packet bridges', () => {
  it('fuji: one interrupt-OUT packet 80 06 <len+1> 03 <cmd> … <answer length>, SnRm sent as Sn', async () => {
    const outs: string[] = [];
    const chip = new FakeBridge(answer, eightByteChunks);
    chip.interruptOut = async (_ep: number, data: Uint8Array) => {
      outs.push(Buffer.from(data).toString('hex'));
      if (data[4] === 0x51) await chip.controlOut({ requestType: 0, request: 0, value: 0, index: 0 }, Buffer.from('Q1\r'));
      return 8;
    };
    expect(await fuji(chip, 'Q1\r')).toBe(Q1);
    await fuji(chip, 'S.5R0003\r').catch(() => null);
    expect(outs).toEqual(['800603035131002f', '80060403532e3500']);
  });

  it('armac: 0xA0+n control chunks of 3 bytes, replies with a length nibble per 6-byte report', async () => {
    const sent: string[] = [];
    const reply = '(226.0 19\r';
    const reports = [...Array.from({ length: Math.ceil(reply.length / 5) }, (_, i) => reply.slice(i * 5, i * 5 + 5)), ''].map((part) => {
      const b = Buffer.alloc(6);
      b[0] = 0x80 | part.length;
      Buffer.from(part, 'latin1').copy(b, 1);
      return new Uint8Array(b);
    });
    const chip = new FakeBridge(() => null, () => []);
    chip.controlOut = async (_s, data: Uint8Array) => {
      sent.push(Buffer.from(data).toString('hex'));
      return data.length;
    };
    chip.interruptIn = async () => reports.shift()!;
    expect(await armac(chip, 'Q1\r')).toBe(reply);
    expect(sent).toEqual(['a351310d']);
    expect(await armac(chip, 'QGS\r')).toBe('QGS\r');
  });
});

describe('USB link', () => {
  it('opens the device again after it went away, with the same ids and port', async () => {
    const { UsbLink } = await import('../src/usb/link.js');
    const first = new FakeBridge(answer, eightByteChunks);
    let closeListener: (() => void) | undefined;
    first.onClose = (l: () => void) => {
      closeListener = l;
      return () => {};
    };
    const second = new FakeBridge(answer, eightByteChunks);
    const opened: unknown[] = [];
    let available = false;
    const ctx = {
      log: { debug() {}, info() {} },
      openUsb: async (m: unknown) => {
        opened.push(m);
        if (!available) throw new Error('ENOENT');
        return second;
      },
    } as never;
    const link = new UsbLink(first, cypress, ctx, { vendorid: '0665', productid: '5161', busport: '1-1' });
    expect((await link.command('Q1\r'))?.data).toBe(Q1);
    closeListener!();
    expect(await link.command('Q1\r')).toBeNull();
    available = true;
    expect((await link.command('Q1\r'))?.data).toBe(Q1);
    expect(link.handle).toBe(second);
    expect(opened).toEqual([{ vendorid: '0665', productid: '5161', busport: '1-1' }, { vendorid: '0665', productid: '5161', busport: '1-1' }]);
  });
});

// Runs the built USB/HID backends (core/dist/transport) in a process started under a virtual
// USB device's environment (umockdev's preload only reaches processes started with it).
// Requests arrive as JSON lines on stdin: {id, op, args}; answers go to stdout as
// {id, ok, value} or {id, ok: false, error: {code, message}}; handle events as {event, ...}.
import { createInterface } from 'node:readline';

const dist = new URL('../../core/dist/transport/', import.meta.url);
const { UsbBackend } = await import(new URL('usb-backend.js', dist).href);
const { HidBackend } = await import(new URL('hid-backend.js', dist).href);

const usb = new UsbBackend();
const hid = new HidBackend();
const handles = new Map();
let nextHandle = 1;

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
const bytes = (h) => Uint8Array.from((h.replace(/\s+/g, '').match(/../g) ?? []).map((b) => parseInt(b, 16)));
const send = (msg) => process.stdout.write(JSON.stringify(msg) + '\n');

function track(handle) {
  const id = nextHandle++;
  handles.set(id, handle);
  handle.onClose((error) => send({ event: 'close', handle: id, error: error ? { code: error.code, message: error.message } : null }));
  return { handle: id, info: handle.info };
}

const ops = {
  listUsb: () => usb.listUsb(),
  listHid: () => hid.listHid(),
  openUsb: async (match) => track(await usb.openUsb(match)),
  openHid: async (match) => track(await hid.openHid(match)),
  cpu: () => process.cpuUsage(),
  configDescriptor: async (h) => hex(await h.configDescriptor()),
  controlIn: async (h, setup, length, options) => hex(await h.controlIn(setup, length, options)),
  controlOut: (h, setup, data, options) => h.controlOut(setup, bytes(data), options),
  getString: (h, index, langid) => h.getString(index, langid),
  getStringRaw: async (h, index, langid, length) => hex(await h.getStringRaw(index, langid, length)),
  interruptIn: async (h, endpoint, length, options) => hex(await h.interruptIn(endpoint, length, options)),
  interruptOut: (h, endpoint, data) => h.interruptOut(endpoint, bytes(data)),
  reportDescriptor: async (h) => hex(await h.reportDescriptor()),
  getFeature: async (h, id, length, options) => hex(await h.getFeature(id, length, options)),
  setFeature: (h, data) => h.setFeature(bytes(data)),
  write: (h, data) => h.write(bytes(data)),
  watchInput: (h, handleId) => {
    h.onInput((report) => send({ event: 'input', handle: handleId, hex: hex(report) }));
    return true;
  },
  close: (h) => h.close(),
};

const HANDLE_OPS = new Set(Object.keys(ops).filter((k) => !['listUsb', 'listHid', 'openUsb', 'openHid', 'cpu'].includes(k)));

createInterface({ input: process.stdin }).on('line', async (line) => {
  const { id, op, args = [] } = JSON.parse(line);
  try {
    let value;
    if (HANDLE_OPS.has(op)) {
      const h = handles.get(args[0]);
      if (!h) throw Object.assign(new Error(`no handle ${args[0]}`), { code: 'EINVAL' });
      value = op === 'watchInput' ? ops.watchInput(h, args[0]) : await ops[op](h, ...args.slice(1));
    } else if (ops[op]) {
      value = await ops[op](...args);
    } else {
      throw new Error(`unknown op ${op}`);
    }
    send({ id, ok: true, value: value ?? null });
  } catch (e) {
    send({ id, ok: false, error: { code: e?.code ?? 'ERROR', message: e?.message ?? String(e), name: e?.name } });
  }
}).on('close', async () => {
  for (const h of handles.values()) await h.close().catch(() => undefined);
  process.exit(0);
});
send({ event: 'ready' });

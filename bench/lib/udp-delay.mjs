/**
 * A UDP relay on 127.0.0.1 in front of one SNMP agent that can hold each answer back:
 * `proxy.delayMs` (0 at first) is applied to answers from then on. Each client source port
 * gets its own upstream socket, so answers find their way back.
 */
import { createSocket } from 'node:dgram';

export async function startSlowProxy(targetPort) {
  const front = createSocket('udp4');
  const upstream = new Map();
  const timers = new Set();
  const proxy = { port: 0, delayMs: 0, forwarded: 0 };
  front.on('message', (msg, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    let up = upstream.get(key);
    if (!up) {
      up = createSocket('udp4');
      up.on('message', (answer) => {
        const send = () => front.send(answer, rinfo.port, rinfo.address);
        if (!proxy.delayMs) return send();
        proxy.forwarded++;
        const t = setTimeout(() => {
          timers.delete(t);
          send();
        }, proxy.delayMs);
        timers.add(t);
      });
      up.on('error', () => {});
      up.bind(0, '127.0.0.1');
      upstream.set(key, up);
    }
    up.send(msg, targetPort, '127.0.0.1');
  });
  front.on('error', () => {});
  await new Promise((r) => front.bind(0, '127.0.0.1', r));
  proxy.port = front.address().port;
  proxy.stop = async () => {
    for (const t of timers) clearTimeout(t);
    for (const u of upstream.values()) u.close();
    await new Promise((r) => front.close(r));
  };
  return proxy;
}

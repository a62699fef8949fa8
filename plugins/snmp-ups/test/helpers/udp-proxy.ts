/** A UDP relay in front of an SNMP agent that can go silent or answer garbage, for fault tests. */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

export type ProxyMode = 'relay' | 'silent' | 'garbage';

export interface UdpProxy {
  port: number;
  mode: ProxyMode;
  close(): Promise<void>;
}

const GARBAGE = [
  Buffer.from('this is not BER'),
  Buffer.from([0x30, 0x82, 0xff, 0xff, 0x02]),
  Buffer.from([0x30, 0x03, 0x02, 0x01]),
  Buffer.alloc(0),
  Buffer.from([0x30, 0x0c, 0x02, 0x01, 0x00, 0x04, 0x02, 0x78, 0x78, 0xa2, 0x03, 0x02, 0x01, 0x07]),
];

export async function startUdpProxy(targetPort: number): Promise<UdpProxy> {
  const front: Socket = createSocket('udp4');
  const back: Socket = createSocket('udp4');
  let client: RemoteInfo | undefined;
  let n = 0;
  const proxy: UdpProxy = {
    port: 0,
    mode: 'relay',
    async close() {
      await new Promise<void>((r) => front.close(() => r()));
      await new Promise<void>((r) => back.close(() => r()));
    },
  };
  front.on('message', (msg, rinfo) => {
    client = rinfo;
    if (proxy.mode === 'relay') back.send(msg, targetPort, '127.0.0.1');
    else if (proxy.mode === 'garbage') front.send(GARBAGE[n++ % GARBAGE.length], rinfo.port, rinfo.address);
  });
  back.on('message', (msg) => {
    if (client && proxy.mode === 'relay') front.send(msg, client.port, client.address);
  });
  await new Promise<void>((r) => back.bind(0, '127.0.0.1', () => r()));
  await new Promise<void>((r) => front.bind(0, '127.0.0.1', () => r()));
  proxy.port = front.address().port;
  return proxy;
}

/** A loopback TCP server answering protocol lines from a script, for client tests. */
import { createServer, type Server, type Socket } from 'node:net';

export type Answer = string | string[] | undefined | ((socket: Socket) => void);

export interface ScriptServer {
  port: number;
  /** Every line received, per connection, in order. */
  received: string[][];
  sockets: Socket[];
  connections: number;
  close(): Promise<void>;
}

/**
 * Each received line goes to `answer`; a string is written with a newline, an array is
 * written as one chunk (lines joined), a function gets the socket.
 */
export async function scriptServer(answer: (line: string, conn: number, socket: Socket) => Answer): Promise<ScriptServer> {
  const received: string[][] = [];
  const sockets: Socket[] = [];
  const state = { connections: 0 };
  const server: Server = createServer((socket) => {
    const conn = state.connections++;
    received[conn] = [];
    sockets.push(socket);
    let buf = '';
    socket.setEncoding('latin1');
    socket.on('error', () => undefined);
    socket.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        received[conn].push(line);
        const a = answer(line, conn, socket);
        if (typeof a === 'function') a(socket);
        else if (typeof a === 'string') socket.write(a + '\n');
        else if (Array.isArray(a)) socket.write(a.map((l) => l + '\n').join(''));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    received,
    sockets,
    get connections() {
      return state.connections;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A small upsd imitation: enough answers for the helper methods. */
export function fakeUpsd(line: string): Answer {
  const w = line.split(' ');
  switch (line) {
    case 'LIST UPS':
      return ['BEGIN LIST UPS', 'UPS dummy "Test \\"dummy\\" device"', 'UPS other "Description unavailable"', 'END LIST UPS'];
    case 'LIST VAR dummy':
      return [
        'BEGIN LIST VAR dummy',
        'VAR dummy battery.charge "100"',
        'VAR dummy custom.hash "a\\#b"',
        'VAR dummy ups.mfr "ACME \\"Quoted\\" Inc"',
        'VAR dummy ups.status "OL CHRG"',
        'END LIST VAR dummy',
      ];
    case 'LIST RW dummy':
      return ['BEGIN LIST RW dummy', 'RW dummy ups.id "abc"', 'END LIST RW dummy'];
    case 'LIST CMD dummy':
      return ['BEGIN LIST CMD dummy', 'CMD dummy load.off', 'CMD dummy test.battery.start', 'END LIST CMD dummy'];
    case 'LIST ENUM dummy input.transfer.low':
      return [
        'BEGIN LIST ENUM dummy input.transfer.low',
        'ENUM dummy input.transfer.low "100"',
        'ENUM dummy input.transfer.low "103"',
        'END LIST ENUM dummy input.transfer.low',
      ];
    case 'LIST RANGE dummy ups.delay.shutdown':
      return [
        'BEGIN LIST RANGE dummy ups.delay.shutdown',
        'RANGE dummy ups.delay.shutdown "0" "60"',
        'RANGE dummy ups.delay.shutdown "120" "180"',
        'END LIST RANGE dummy ups.delay.shutdown',
      ];
    case 'LIST CLIENT dummy':
      return ['BEGIN LIST CLIENT dummy', 'CLIENT dummy 127.0.0.1', 'CLIENT dummy ::1', 'END LIST CLIENT dummy'];
    case 'GET NUMLOGINS dummy':
      return 'NUMLOGINS dummy 2';
    case 'GET UPSDESC dummy':
      return 'UPSDESC dummy "Test \\"dummy\\" device"';
    case 'STARTTLS':
      return 'ERR FEATURE-NOT-CONFIGURED';
    case 'VER':
      return 'Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/';
    case 'NETVER':
      return '1.3';
    case 'LOGOUT':
      return 'OK Goodbye';
  }
  if (w[0] === 'GET' && w[1] === 'VAR' && w[3] === 'ups.status') return `VAR ${w[2]} ups.status "OL CHRG"`;
  if (w[0] === 'GET' && w[1] === 'VAR') return 'ERR VAR-NOT-SUPPORTED';
  if (w[0] === 'GET' && w[1] === 'TYPE') return `TYPE ${w[2]} ${w[3]} RW STRING:32`;
  if (w[0] === 'GET' && w[1] === 'DESC') return `DESC ${w[2]} ${w[3]} "Some description"`;
  if (w[0] === 'GET' && w[1] === 'CMDDESC') return `CMDDESC ${w[2]} ${w[3]} "Some command"`;
  if (w[0] === 'LIST') return 'ERR UNKNOWN-UPS';
  return 'ERR UNKNOWN-COMMAND';
}

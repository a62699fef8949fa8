// The floor for a Node server under the upsd-lean load: answers each request line with one
// constant NUT answer line ('data' events, socket.write), no protocol work at all. Compare its
// CPU per request with upsd's from the same lean client (bench/README.md, "upsd per request").
//   node bench/bare-node-server.mjs <port>
import net from 'node:net';

const answer = Buffer.from('VAR demo ups.status "OL"\n');
const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on('data', (chunk) => {
    let lines = 0;
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
    socket.write(lines === 1 ? answer : Buffer.concat(Array(lines).fill(answer)));
  });
  socket.on('error', () => {});
});
server.listen(Number(process.argv[2]), '127.0.0.1');

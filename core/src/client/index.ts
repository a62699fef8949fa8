/**
 * NUT network protocol client (used by upsc/upsrw/upscmd, upsmon, upslog, the dummy-ups
 * repeater and the scanner).
 *
 * ```ts
 * import { NutClient, parseUpsName } from '../client/index.js';
 * const { ups, host, port } = parseUpsName('myups@server:3493');
 * const c = new NutClient({ host, port, tls: 'try', reconnect: true });
 * await c.connect();
 * const status = await c.getVar(ups, 'ups.status');   // throws NutError on ERR
 * const [vars, cmds] = await Promise.all([c.listVar(ups), c.listCmd(ups)]); // pipelined
 * c.close();                                          // sends LOGOUT, no reconnect
 * ```
 *
 * - `new NutClient(options)`: host (default localhost), port (3493), family (0|4|6),
 *   tls `'off' | 'try' | 'require'` with ca / verify / servername / tlsOptions, timeout (ms
 *   without an answer, default 5000), connectTimeout, reconnect (true or backoff options),
 *   onConnect (runs after each (re)connect, before queued requests: log in again there),
 *   onDroppedChar (bytes the grammar discards from answers; NUT's clients log them).
 * - Requests may be issued without awaiting the previous one; answers are matched in order.
 * - Raw: `command(line)` → answer line (ERR not thrown); `get(words)` → answer words;
 *   `list(words)` → item words of a BEGIN/END LIST block; `simple(line)` → OK line or throw.
 * - Helpers: getVar, listVar, listRw, listCmd, listEnum, listRange, listUps, listClients,
 *   getType, getDesc, getCmdDesc, getUpsDesc, numLogins, authenticate (USERNAME+PASSWORD),
 *   login, primary (falls back to MASTER), fsd, setVar, instcmd (both resolve with the
 *   tracking id when tracking is on), setTracking, getTracking, tracking (poll until done),
 *   ver, netver, logout.
 * - Errors: NutError with `code` (upsd's ERR name such as `VAR-NOT-SUPPORTED`, or a client
 *   code such as `CONNECT-FAILED`, `NO-SUCH-HOST`, `TIMEOUT`, `SERVER-DISCONNECTED`) and
 *   `message` worded as libupsclient does ("Variable not supported by UPS", "Connection
 *   failure: Connection refused"…), so CLIs print `Error: ${err.message}`. A LIST that fails
 *   inside its BEGIN/END block carries the items read so far in `err.partial`.
 * - Events: `connect`, `disconnect` (err), `reconnecting` ({attempt, delay}), `connectError`,
 *   `giveup`, `unsolicited` (line).
 * - Addresses: parseUpsName('ups[@host[:port]]'), parseHostPort('host[:port]'), both accept
 *   `[v6]:port`; they throw AddressError with libupsclient's wording.
 */
export { NutClient, buildCommand, atoi } from './client.js';
export type { NutClientOptions, ReconnectOptions, TlsMode, NameValue } from './client.js';
export { NutError, serverErrorMessage, errorFromReply } from './errors.js';
export {
  parseUpsName,
  parseHostPort,
  formatUpsName,
  AddressError,
  DEFAULT_PORT,
  DEFAULT_HOST,
} from './address.js';
export type { UpsAddress, HostAddress } from './address.js';
export { splitLine, quoteArg, discardedCharMessage } from './words.js';

/** UpsLink over the shared client library (H5's NutClient): the link upsmon uses by default. */
import { NutClient } from '../client/client.js';
import { LinkError, loadCertPath, type LinkFactory, type UpsLink } from './link.js';

export const clientLink: LinkFactory = async (opts) => {
  const ca = loadCertPath(opts.certPath);
  const client = new NutClient({
    host: opts.host,
    port: opts.port,
    tls: opts.requireTls ? 'require' : opts.tryTls ? 'try' : 'off',
    verify: opts.certVerify,
    ...(ca ? { ca } : {}),
    timeout: opts.timeoutMs,
    connectTimeout: opts.timeoutMs,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    client.close();
    throw new LinkError((err as Error).message);
  }
  const link: UpsLink = {
    request: async (line) => {
      try {
        return await client.command(line);
      } catch (err) {
        throw new LinkError((err as Error).message);
      }
    },
    readLine: () => Promise.reject(new LinkError('list bodies are read through the client library')),
    send: (line) => void client.command(line).catch(() => undefined),
    close: () => client.close(),
    get open() {
      return client.connected;
    },
    get tls() {
      return client.tls;
    },
  };
  return link;
};

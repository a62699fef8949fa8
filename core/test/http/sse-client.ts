/** A minimal EventSource for tests: parses text/event-stream from node:http. */
import { request, type ClientRequest, type IncomingMessage } from 'node:http';

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

export class SseClient {
  readonly events: SseEvent[] = [];
  status = 0;
  private req: ClientRequest;
  private buf = '';
  ready: Promise<IncomingMessage>;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.req = request(url, { headers: { accept: 'text/event-stream', ...headers }, agent: false });
    this.ready = new Promise((resolve, reject) => {
      this.req.on('response', (res) => {
        this.status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => this.feed(chunk));
        res.on('error', () => {});
        resolve(res);
      });
      this.req.on('error', reject);
    });
    this.req.end();
  }

  private feed(chunk: string): void {
    this.buf += chunk;
    let i: number;
    while ((i = this.buf.indexOf('\n\n')) >= 0) {
      const block = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 2);
      const e: SseEvent = { event: 'message', data: '' };
      let data: string[] | undefined;
      for (const line of block.split('\n')) {
        if (!line || line.startsWith(':')) continue;
        const c = line.indexOf(':');
        const field = c < 0 ? line : line.slice(0, c);
        const value = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
        if (field === 'id') e.id = value;
        else if (field === 'event') e.event = value;
        else if (field === 'data') (data ??= []).push(value);
      }
      if (data) {
        e.data = data.join('\n');
        this.events.push(e);
      }
    }
  }

  find(pred: (e: SseEvent & { json: Record<string, any> }) => boolean): (SseEvent & { json: Record<string, any> }) | undefined {
    for (const e of this.events) {
      const withJson = { ...e, json: JSON.parse(e.data) as Record<string, any> };
      if (pred(withJson)) return withJson;
    }
    return undefined;
  }

  close(): void {
    this.req.destroy();
  }
}

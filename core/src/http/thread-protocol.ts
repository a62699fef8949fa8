/** Messages between the host and the HTTP service's thread. */
import type { HttpSettings } from '../config/host-settings.js';
import type { HostMetrics } from './metrics.js';
import type { FeedMessage, MirrorRequest } from './mirror.js';

export interface HttpThreadData {
  settings: HttpSettings;
  confPath?: string;
  certFile?: string;
}

export type HostQuestion = { what: 'instances' } | { what: 'upsdClients' } | { what: 'mqttConnected' } | { what: 'clientsOf'; device: string };

export interface HostAnswers {
  instances: HostMetrics['instances'];
  upsdClients: number | undefined;
  mqttConnected: boolean | undefined;
  clientsOf: string[];
}

export type ToHttpThread =
  | { t: 'feed'; batch: FeedMessage[] }
  | { t: 'answer'; id: number; value: unknown }
  | { t: 'close' };

export type FromHttpThread =
  | { t: 'listening'; address: { host: string; port: number } }
  | { t: 'failed'; message: string }
  | { t: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { t: 'request'; request: MirrorRequest }
  | { t: 'ask'; id: number; question: HostQuestion }
  | { t: 'eventClients'; count: number }
  | { t: 'closed' };

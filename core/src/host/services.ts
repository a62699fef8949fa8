/**
 * The host's optional network services beside upsd: the HTTP service and the MQTT publisher,
 * each started only when its host setting is present. The host calls start once and close
 * when it stops.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultHttpSettings, defaultMqttSettings, type HttpSettings, type MqttSettings, type RestartSettings } from '../config/host-settings.js';
import type { Host, HostLogger } from './host.js';
import { parseUpsdConf, readFileText } from '../upsd/config.js';
import { MqttBridge } from '../mqtt/bridge.js';
import { SupervisedHttp } from './http-supervisor.js';

export interface HostServices {
  /** The HTTP service, in a thread of its own that is restarted when it ends on its own. */
  http?: SupervisedHttp;
  mqtt?: MqttBridge;
  close(): Promise<void>;
}

/** upsd.conf's CERTFILE and CERTPATH, as upsd reads them. */
function certSettings(confPath: string): { certFile?: string; certPath?: string } {
  const file = join(confPath, 'upsd.conf');
  if (!existsSync(file)) return {};
  try {
    const conf = parseUpsdConf(readFileText(file));
    return { certFile: conf.certFile, certPath: conf.certPath };
  } catch {
    return {};
  }
}

/**
 * The certificate for http.tls: CERTFILE, as upsd built with OpenSSL (ours too) takes it.
 * CERTPATH names an NSS certificate database, which only NUT's NSS build reads and Node's TLS
 * cannot: say so instead of a bare "no CERTFILE".
 */
export function httpCertificate(confPath: string): string {
  const { certFile, certPath } = certSettings(confPath);
  if (certFile) return certFile;
  if (certPath) {
    throw new Error(
      `http.tls needs CERTFILE in upsd.conf (a PEM file with the certificate chain and the key); CERTPATH ${certPath} is an NSS certificate database, which nut-ts cannot read: export the certificate and key (pk12util -o, then openssl pkcs12 -nodes) into a PEM and name it in CERTFILE`,
    );
  }
  throw new Error('http.tls needs CERTFILE in upsd.conf (a PEM file with the certificate chain and the key)');
}

export interface ServiceSettings {
  http?: Partial<HttpSettings>;
  mqtt?: Partial<MqttSettings> & { url: string };
  /** Delays before restarting the HTTP thread (the host's instance restart settings). */
  restart?: RestartSettings;
}

export async function startHostServices(host: Host, given: ServiceSettings, log: HostLogger): Promise<HostServices> {
  const settings = {
    http: given.http ? { ...defaultHttpSettings(), ...given.http } : undefined,
    mqtt: given.mqtt ? { ...defaultMqttSettings(given.mqtt.url), ...given.mqtt } : undefined,
  };
  const services: HostServices = {
    async close() {
      await services.mqtt?.close();
      await services.http?.close();
    },
  };
  if (settings.mqtt) {
    const mqtt = new MqttBridge({ directory: host, settings: settings.mqtt, log: (level, m) => log(level, `mqtt: ${m}`) });
    try {
      mqtt.start();
      services.mqtt = mqtt;
    } catch (e) {
      await mqtt.close();
      log('error', `mqtt: cannot start: ${(e as Error).message}`);
    }
  }
  if (settings.http) {
    try {
      services.http = await SupervisedHttp.start({
        directory: host,
        settings: settings.http,
        confPath: host.paths.confPath,
        certFile: settings.http.tls ? httpCertificate(host.paths.confPath) : undefined,
        host: {
          instances: () => host.status().instances.map((i) => ({ ...i, polls: host.instance(i.name)?.polls?.snapshot() })),
          upsdClients: () => host.upsd.clientCount,
          clientsOf: (d) => host.upsd.clientsOf(d),
          mqttConnected: () => services.mqtt?.connected,
        },
        log,
      }, given.restart);
    } catch (e) {
      log('error', `http: cannot start: ${(e as Error).message}`);
    }
  }
  return services;
}

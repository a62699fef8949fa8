/** NUT's `ups@host:port` names: parsed in config/ (upsmon.conf reads them too), used here by the client. */
export * from '../config/ups-address.js';

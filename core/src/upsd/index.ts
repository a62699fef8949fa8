export { UpsdServer, defaultListen, type UpsdServerConfig, type Logger, type LogLevel, type BoundListener } from './server.js';
export { execute, newSession, availability, type Session, type CommandContext } from './commands.js';
export {
  parseUpsdConf,
  parseUpsdUsers,
  parseUpsConfForUpsd,
  defaultUpsdConf,
  readFileText,
  DEFAULT_PORT,
  type UpsdConf,
  type UpsUser,
  type UpsSection,
  type ListenAddress,
} from './config.js';
export { UserTable } from './acl.js';
export { TrackingTable } from './tracking.js';
export { loadDescriber, parseCmdvartab, builtInDescriber, DESCRIPTION_UNAVAILABLE, NUT_DATA_PATH, type Describer } from './descriptions.js';
export { UpsdService, allowNoDeviceFromEnv, type UpsdServiceOptions, type UpsdStartOptions, type UpsdResult } from './service.js';
export { DriverSocketDirectory } from './driver-directory.js';
export { SERVER_INFO, SERVER_VERSION, PROTOCOL_VERSION } from './protocol.js';

/** NUT's config files as typed data, their validation, and the host settings. */
export * from './parseconf.js';
export * from './problems.js';
export { closest, editDistance } from './suggest.js';
export * from './ups-conf.js';
export * from './upsd-conf.js';
export { parseUpsdUsers, readUpsdUsers, USER_KEYS, KNOWN_ACTIONS, type UpsdUser, type UpsdUsers, type UpsmonRole } from './upsd-users.js';
export { parseNutConf, readNutConf, NUT_MODES, NUT_CONF_VARIABLES, type NutConf, type NutMode } from './nut-conf.js';
export { validateUpsConf, type DriverOptionsLookup, type UpsConfValidationOptions } from './validate-ups-conf.js';
export { validateUpsdConf, validateUpsdUsers, validateNutConf } from './validate-files.js';
export { checkConfig, type CheckConfigOptions, type CheckConfigResult } from './check-config.js';
export * from './host-settings.js';
export { readConfigFile } from './read-file.js';

/** The host side of the worker message protocol, which lives with the driver runtime (the host is above it). */
export * from '../driver/worker-protocol.js';

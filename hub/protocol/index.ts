/** The wire contract shared by hub, shipper and tail-cli. Imports nothing else from hub/. */
export * from './frames.js';
export * from './codec.js';
export * from './severity.js';
export * from './time.js';
export * from './record.js';
export * from './subjects.js';
export * from './pattern.js';
export * from './programs.js';

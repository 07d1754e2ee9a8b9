/** `LOGWIRE_<FLAG>` reading lives with the other contracts the programs share (protocol/programs.ts). */
export { envForFlags, envName } from './protocol/programs.js';

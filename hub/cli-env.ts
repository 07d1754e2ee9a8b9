/**
 * `LOGWIRE_<FLAG>` environment variables for the CLIs (SPEC §8), read for known flags only.
 * yargs' own `.env()` takes every LOGWIRE_* variable, so with strict options a variable meant
 * for another program (LOGWIRE_TOKEN for tail-cli, say) would stop this one from starting.
 * Pass the result to yargs `.config()`: command-line flags still win.
 */

/** `max-disk` → `LOGWIRE_MAX_DISK`. */
export function envName(flag: string, prefix = 'LOGWIRE'): string {
  return `${prefix}_${flag.replace(/-/g, '_').toUpperCase()}`;
}

export function envForFlags(flags: readonly string[], env: NodeJS.ProcessEnv, prefix = 'LOGWIRE'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const flag of flags) {
    const v = env[envName(flag, prefix)];
    if (v !== undefined && v !== '') out[flag] = v;
  }
  return out;
}

import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildConfig, type HubConfigInput } from '../../hub/config.js';
import { tempDir } from '../helpers/hub.js';

const SECRET = 'pw-S3cret-never-printed';
const NATS = 'nats://127.0.0.1:4222';

function failure(input: HubConfigInput): string {
  try {
    buildConfig(input);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('buildConfig accepted it');
}

describe('config-nats - NATS credential, TLS and signing flags', () => {
  it('config-nats - refuses inconsistent or unreadable settings with a line naming the flag, never the secret', () => {
    const dir = tempDir();
    const cases: Array<[HubConfigInput, RegExp]> = [
      [{ nats: NATS, natsUser: 'hubuser' }, /^--nats-password: is needed with --nats-user/],
      [{ nats: NATS, natsPassword: SECRET }, /^--nats-user: is needed with --nats-password/],
      [{ nats: NATS, natsToken: SECRET, natsUser: 'u', natsPassword: SECRET }, /^--nats-token: choose one way to authenticate to NATS; --nats-user and --nats-token were both given/],
      [{ nats: NATS, natsCreds: join(dir, 'missing.creds') }, /^--nats-creds: cannot read .*missing\.creds: ENOENT/],
      [{ nats: NATS, natsTlsCert: join(dir, 'c.pem') }, /^--nats-tls-key: a NATS client certificate needs both/],
      [{ nats: NATS, natsTlsCa: join(dir, 'ca.pem') }, /^--nats-tls-ca: cannot read/],
      [{ natsToken: SECRET }, /^--nats-token: is a NATS connection setting; it needs --nats/],
      [{ nats: NATS, clusterSecret: 'short' }, /^--cluster-secret: must be at least 16 characters/],
      [{ clusterSecret: 'long enough secret but no nats' }, /^--cluster-secret: signs messages between hubs over NATS; it needs --nats/],
      [{ nats: `nats://hubuser:${SECRET}@bad host:4222` }, /^--nats: "nats:\/\/\*\*\*@bad host:4222" is not a NATS URL/],
    ];
    for (const [input, message] of cases) {
      const m = failure({ data: dir, ...input });
      expect(m).toMatch(message);
      expect(m).not.toContain(SECRET);
    }
  });

  it('config-nats - keeps the settings, with file paths resolved, frozen', () => {
    const dir = tempDir();
    for (const f of ['ca.pem', 'c.pem', 'c.key', 'hub.creds']) writeFileSync(join(dir, f), 'x');
    const tls = buildConfig({ data: dir, nats: NATS, natsTlsCa: join(dir, 'ca.pem'), natsTlsCert: join(dir, 'c.pem'), natsTlsKey: join(dir, 'c.key'), natsUser: 'u', natsPassword: SECRET, clusterSecret: 'sixteen chars ok' });
    expect(tls.natsAuth).toEqual({ tlsCaFile: join(dir, 'ca.pem'), tlsCertFile: join(dir, 'c.pem'), tlsKeyFile: join(dir, 'c.key'), user: 'u', password: SECRET });
    expect(tls.clusterSecret).toBe('sixteen chars ok');
    expect(Object.isFrozen(tls.natsAuth)).toBe(true);
    expect(buildConfig({ data: dir, nats: NATS, natsCreds: join(dir, 'hub.creds') }).natsAuth).toEqual({ credsFile: join(dir, 'hub.creds') });
    expect(buildConfig({ data: dir }).natsAuth).toEqual({});
  });
});

import { describe, expect, it } from 'vitest';
import { redactUrls } from '../../../hub/bus/redact.js';
import { natsConnectionOptions } from '../../../hub/bus/nats-auth.js';

describe('redact - credentials in NATS URLs are never shown', () => {
  it('redact - user:password@ and token@ become ***@, in every URL of a list', () => {
    expect(redactUrls('nats://u:p@h:4222')).toBe('nats://***@h:4222');
    expect(redactUrls('nats://tok@h:4222, tls://a:b@c@h2:4443,h3:4222')).toBe('nats://***@h:4222,tls://***@h2:4443,h3:4222');
    expect(redactUrls('u:p@h:4222')).toBe('***@h:4222');
    expect(redactUrls('nats://h:4222')).toBe('nats://h:4222');
  });
});

describe('nats-auth - connection options', () => {
  it('nats-auth - credentials in URLs are moved out of them; flags win over them', () => {
    expect(natsConnectionOptions('nats://hub%40x:p%3Aw@h:1,nats://h2:2')).toEqual({ servers: ['nats://h:1', 'nats://h2:2'], user: 'hub@x', pass: 'p:w' });
    expect(natsConnectionOptions('nats://s3cret@h:1')).toEqual({ servers: ['nats://h:1'], token: 's3cret' });
    expect(natsConnectionOptions('nats://u:p@h:1', { token: 't' })).toEqual({ servers: ['nats://h:1'], token: 't' });
    expect(natsConnectionOptions('nats://h:1', { user: 'u', password: 'p', tlsCaFile: '/ca.pem' })).toEqual({ servers: ['nats://h:1'], user: 'u', pass: 'p', tls: { caFile: '/ca.pem' } });
    expect(natsConnectionOptions('nats://h:1', { credsFile: '/x.creds' }).authenticator).toBeTypeOf('function');
    expect(natsConnectionOptions('nats://%zz@h:1')).toEqual({ servers: ['nats://h:1'], token: '%zz' });
  });
});

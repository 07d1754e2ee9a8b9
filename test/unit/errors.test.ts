import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCatalog, HubError } from '../../hub/errors.js';

describe('errors', () => {
  it('errors - every catalog code is documented in README, and README lists no stale code', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const documented = new Set(readme.match(/HUB_ERR_[A-Z_]+/g));
    expect([...documented].sort()).toEqual(Object.keys(ErrorCatalog).sort());
  });

  it('errors - JSON shape is {error, code} plus param for 400s', () => {
    expect(new HubError('HUB_ERR_BAD_PARAM', 'limit must be 1..10000', { param: 'limit' }).toJSON()).toEqual({ error: 'limit must be 1..10000', code: 'HUB_ERR_BAD_PARAM', param: 'limit' });
    expect(new HubError('HUB_ERR_UNAUTHORIZED', 'no').status).toBe(401);
  });
});

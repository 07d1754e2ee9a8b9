import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCatalog, HubError, toHubError } from '../../hub/errors.js';
import { StoreClosedError, StoreCorruptError } from '../../hub/store/store-error.js';

const ROOT = join(import.meta.dirname, '..', '..');

function sources(dir: string): Array<{ path: string; text: string }> {
  const out: Array<{ path: string; text: string }> = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith('.ts')) out.push({ path: p, text: readFileSync(p, 'utf8') });
  }
  return out;
}

describe('errors', () => {
  it('errors - every catalog code is documented in README, and README lists no stale code', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const documented = new Set(readme.match(/HUB_ERR_[A-Z_]+/g));
    expect([...documented].sort()).toEqual(Object.keys(ErrorCatalog).sort());
  });

  it('errors - every catalog code is raised somewhere in hub/, and every code hub/ raises is in the catalog or translated', () => {
    const files = sources(join(ROOT, 'hub'));
    const errorsTs = files.find((f) => f.path.endsWith(join('hub', 'errors.ts')))!.text;
    const raised = new Set<string>();
    for (const f of files) {
      if (f.path.endsWith(join('hub', 'errors.ts'))) continue;
      for (const m of f.text.matchAll(/'(HUB_ERR_[A-Z_]+)'/g)) raised.add(m[1]);
      if (/\bbadParam\(/.test(f.text)) raised.add('HUB_ERR_BAD_PARAM'); // errors.ts's helper for 400s
    }
    const catalog = Object.keys(ErrorCatalog);
    for (const code of catalog) expect(raised.has(code), `${code} is in the catalog but nothing raises it`).toBe(true);
    for (const code of raised) {
      // A module's own code (store-error.ts, bounds.ts) must be translated at the boundary (toHubError).
      if (!catalog.includes(code)) expect(errorsTs.includes(`'${code}'`), `${code} is raised but neither in the catalog nor translated`).toBe(true);
    }
  });

  it('errors - store errors reach clients as catalog codes, not HUB_ERR_INTERNAL', () => {
    expect(toHubError(new StoreCorruptError('chunk 3/9')).code).toBe('HUB_ERR_STORE_UNAVAILABLE');
    expect(toHubError(new StoreClosedError()).toJSON()).toMatchObject({ code: 'HUB_ERR_STORE_UNAVAILABLE' });
    expect(toHubError(Object.assign(new RangeError('x'), { code: 'HUB_ERR_INVALID_CURSOR' })).toJSON()).toMatchObject({ code: 'HUB_ERR_BAD_PARAM', param: 'cursor' });
    expect(toHubError(new Error('boom')).code).toBe('HUB_ERR_INTERNAL');
  });

  it('errors - JSON shape is {error, code} plus param for 400s', () => {
    expect(new HubError('HUB_ERR_BAD_PARAM', 'limit must be 1..10000', { param: 'limit' }).toJSON()).toEqual({ error: 'limit must be 1..10000', code: 'HUB_ERR_BAD_PARAM', param: 'limit' });
    expect(new HubError('HUB_ERR_UNAUTHORIZED', 'no').status).toBe(401);
  });
});

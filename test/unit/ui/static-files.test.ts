import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadStaticFiles, staticKey } from '../../../hub/ui/static-files.js';
import { tempDir } from '../../helpers/hub.js';

describe('ui/static-files', () => {
  it('ui/static-files - maps request paths to table keys, refusing anything but plain relative paths', () => {
    expect(staticKey('')).toBe('index.html');
    expect(staticKey('js/main.js')).toBe('js/main.js');
    expect(staticKey('js/')).toBe('js/index.html');
    expect(staticKey('js%2Fmain.js')).toBe('js/main.js');
    for (const bad of ['../x', '..%2fx', '%2e%2e/x', 'a/../../x', './x', 'a//b', '/etc/passwd', 'a\\b', 'a%5cb', 'x%00', '%E0%A4%A']) {
      expect(staticKey(bad), bad).toBeUndefined();
    }
  });

  it('ui/static-files - loads files of known types with content types and content ETags; a missing dir is empty', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'js'));
    writeFileSync(join(dir, 'index.html'), '<p>x</p>');
    writeFileSync(join(dir, 'js', 'a.js'), 'x');
    writeFileSync(join(dir, 'js', 'b.js'), 'x');
    writeFileSync(join(dir, 'notes.unknown'), 'secret');
    const files = loadStaticFiles(dir);
    expect([...files.keys()].sort()).toEqual(['index.html', 'js/a.js', 'js/b.js']);
    expect(files.get('index.html')!.contentType).toBe('text/html; charset=utf-8');
    expect(files.get('js/a.js')!.etag).toBe(files.get('js/b.js')!.etag);
    expect(files.get('js/a.js')!.etag).not.toBe(files.get('index.html')!.etag);
    expect(loadStaticFiles(join(dir, 'missing')).size).toBe(0);
  });
});

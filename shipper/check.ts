/**
 * `logwire-shipper check`: what a person wants to know before starting the shipper, one
 * OK/FAIL line per step (files readable, state dir writable, hub reachable, token accepted),
 * and whether all passed. Never ships anything.
 */
import { access, constants, mkdir, stat } from 'node:fs/promises';
import { glob } from 'tinyglobby';
import WebSocket from 'ws';
import { decodeFrame, encodeFrame, PROTOCOL_VERSION } from '../hub/protocol/index.js';
import type { ShipperConfig } from './config.js';
import { createDiscovery, isGlob, NotRegularFileError, OutsideWatchedError, type Discovery } from './discovery.js';

export interface CheckLine { ok: boolean | 'skip' | 'warn'; text: string }

async function checkFile(path: string, discovery: Discovery): Promise<CheckLine[]> {
  const paths = isGlob(path) ? await glob(path, { absolute: true, onlyFiles: true }) : [path];
  if (paths.length === 0) return [{ ok: false, text: `no file matches ${path}` }];
  const out: CheckLine[] = [];
  for (const p of paths.slice(0, 20)) {
    try {
      const { fh, st } = await discovery.open(p);
      await fh.close();
      out.push({ ok: true, text: `file ${p} is readable (${(st.size / 1048576).toFixed(1)} MB)` });
    } catch (err) {
      if (err instanceof NotRegularFileError || err instanceof OutsideWatchedError) {
        out.push({ ok: false, text: err.message });
        continue;
      }
      const code = (err as NodeJS.ErrnoException).code;
      out.push({ ok: false, text: `file ${p} cannot be read: ${code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'permission denied' : code}` });
    }
  }
  return out;
}

async function checkStateDir(dir: string): Promise<CheckLine> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
    return { ok: true, text: `state dir ${dir} is writable` };
  } catch (err) {
    return { ok: false, text: `state dir ${dir} is not writable: ${(err as NodeJS.ErrnoException).code}` };
  }
}

/** Connects, says hello, waits for welcome: separates "unreachable" from "token refused". */
export function checkHub(url: string, token: string, timeoutMs = 5000): Promise<CheckLine[]> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (lines: CheckLine[]) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ws.terminate();
      resolve(lines);
    };
    const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` }, perMessageDeflate: false, handshakeTimeout: timeoutMs });
    const timer = setTimeout(() => finish([{ ok: false, text: `hub ${url} did not answer within ${timeoutMs / 1000} s` }, { ok: 'skip', text: 'token not checked' }]), timeoutMs);
    ws.on('unexpected-response', (_req, res) => {
      const s = res.statusCode ?? 0;
      const reach: CheckLine = { ok: true, text: `hub ${url} is reachable` };
      if (s === 401) finish([reach, { ok: false, text: 'token refused by the hub (HTTP 401): check --token / LOGWIRE_TOKEN / API_TOKEN' }]);
      else if (s === 403) finish([reach, { ok: false, text: 'token lacks the ingest scope (HTTP 403)' }]);
      else finish([{ ok: false, text: `${url} answered HTTP ${s}: is this a logwire hub (path /v1/ingest)?` }, { ok: 'skip', text: 'token not checked' }]);
    });
    ws.on('error', (err) => {
      const code = (err as NodeJS.ErrnoException).code ?? err.message;
      const hint = code === 'ECONNREFUSED' ? ' (nothing listens there: is the hub running?)' : code === 'ENOTFOUND' ? ' (unknown host name)' : '';
      finish([{ ok: false, text: `hub ${url} is unreachable: ${code}${hint}` }, { ok: 'skip', text: 'token not checked' }]);
    });
    ws.on('open', () => ws.send(encodeFrame({ type: 'hello', shipper: 'logwire-shipper-check', version: PROTOCOL_VERSION })));
    ws.on('message', (data: Buffer) => {
      const r = decodeFrame(data);
      if (r.ok && r.frame.type === 'welcome') {
        finish([
          { ok: true, text: `hub ${url} is reachable (hub id ${r.frame.hub})` },
          { ok: true, text: `token accepted (max_batch_bytes ${r.frame.max_batch_bytes}, max_inflight ${r.frame.max_inflight})` },
        ]);
      } else if (r.ok && r.frame.type === 'error') {
        finish([{ ok: true, text: `hub ${url} is reachable` }, { ok: false, text: `hub refused the hello: ${r.frame.message}` }]);
      }
    });
  });
}

/** Runs every check; `print` receives each line as it is known. Returns true when all passed. */
export async function runChecks(cfg: ShipperConfig, print: (line: string) => void): Promise<boolean> {
  let ok = true;
  const show = (l: CheckLine) => {
    if (l.ok === false) ok = false;
    print(`${l.ok === true ? ' OK  ' : l.ok === false ? ' FAIL' : l.ok === 'warn' ? ' WARN' : ' SKIP'}  ${l.text}`);
  };
  show({ ok: true, text: `config: ${cfg.sources.length} file source(s), host ${cfg.host}, hub ${cfg.send.hubs.join(', ')}` });
  if (cfg.sources.length === 0) show({ ok: false, text: 'no file to follow: pass --file PATH|GLOB (or LOG_FILE, or "files" in --config)' });
  const discovery = createDiscovery(cfg.sources, cfg.tail.followSymlinks);
  for (const s of cfg.sources) for (const l of await checkFile(s.path, discovery)) show(l);
  const st = await stat(cfg.stateDir).catch(() => undefined);
  if (st && !st.isDirectory()) show({ ok: false, text: `state dir ${cfg.stateDir} is not a directory` });
  else show(await checkStateDir(cfg.stateDir));
  for (const w of cfg.warnings) show({ ok: 'warn', text: w });
  for (const url of cfg.send.hubs) for (const l of await checkHub(url, cfg.send.token)) show(l);
  print(ok ? 'all checks passed: the shipper is ready to run' : 'some checks failed: fix the lines marked FAIL');
  return ok;
}

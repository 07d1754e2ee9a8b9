/**
 * syslog messages (docs/receivers.md "syslog") onto candidate records:
 *   RFC 5424: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD-ID k="v"...]... MSG
 *   RFC 3164: <PRI>Mmm dd hh:mm:ss HOSTNAME TAG[pid]: MSG   (no year: the current one, UTC)
 * Anything else is kept whole as the message. PRI gives severity (low 3 bits) and facility.
 */
import type { IncomingRecord } from '../../protocol/frames.js';
import { mapRecord } from '../mapping.js';
import { parseTime } from '../../protocol/time.js';

const FACILITIES = ['kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'ntp', 'audit', 'alert', 'clock',
  'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'];
const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };
const RFC3164_TIME = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))? /;
const TAG = /^([^\s:[\]]{1,128})(?:\[([^\]]{0,128})\])?:? ?/;

interface Parsed {
  pri?: number;
  ts?: number | string;
  host?: string;
  app?: string;
  procid?: string;
  msgid?: string;
  sd?: Record<string, Record<string, string>>;
  message: string;
}

const nil = (v: string | undefined) => (v === undefined || v === '-' ? undefined : v);

/** STRUCTURED-DATA: `[id k="v" ...]...`; returns the elements and where MSG starts. */
function structuredData(s: string, i: number): { sd?: Record<string, Record<string, string>>; next: number } {
  if (s[i] === '-') return { next: i + 1 };
  const sd: Record<string, Record<string, string>> = {};
  while (s[i] === '[') {
    let j = i + 1;
    while (j < s.length && s[j] !== ' ' && s[j] !== ']') j++;
    const id = s.slice(i + 1, j);
    const params: Record<string, string> = {};
    while (s[j] === ' ') {
      const eq = s.indexOf('="', j);
      if (eq < 0) return { sd, next: s.length };
      const name = s.slice(j + 1, eq);
      let k = eq + 2;
      let value = '';
      while (k < s.length && s[k] !== '"') {
        if (s[k] === '\\' && (s[k + 1] === '"' || s[k + 1] === '\\' || s[k + 1] === ']')) k++;
        value += s[k++];
      }
      params[name] = value;
      j = k + 1;
    }
    sd[id] = params;
    i = s[j] === ']' ? j + 1 : j;
  }
  return { sd, next: i };
}

function rfc5424(s: string, out: Parsed): boolean {
  const m = /^1 (\S+) (\S+) (\S+) (\S+) (\S+) /.exec(s);
  if (!m) return false;
  const time = nil(m[1]);
  if (time !== undefined) out.ts = parseTime(time) ?? time;
  out.host = nil(m[2]);
  out.app = nil(m[3]);
  out.procid = nil(m[4]);
  out.msgid = nil(m[5]);
  const { sd, next } = structuredData(s, m[0].length);
  if (sd && Object.keys(sd).length > 0) out.sd = sd;
  let msg = s.slice(next).replace(/^ /, '');
  if (msg.startsWith('\uFEFF')) msg = msg.slice(1);
  out.message = msg;
  return true;
}

function rfc3164(s: string, out: Parsed, nowMs: number): boolean {
  const m = RFC3164_TIME.exec(s);
  if (!m) return false;
  const year = new Date(nowMs).getUTCFullYear();
  const ms = m[6] ? Math.floor(Number(`0.${m[6]}`) * 1000) : 0;
  out.ts = Date.UTC(year, MONTHS[m[1]] ?? 0, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), ms);
  let rest = s.slice(m[0].length);
  const host = /^(\S+) /.exec(rest);
  // "HOSTNAME TAG: msg"; a sender that leaves the hostname out starts with "TAG:" or "TAG[pid]:".
  if (host && !/[:[\]]/.test(host[1])) {
    out.host = host[1];
    rest = rest.slice(host[0].length);
  }
  const tag = TAG.exec(rest);
  if (tag && (rest[tag[0].length - 1] === ' ' || rest[tag[0].length - 2] === ':' || tag[2] !== undefined)) {
    out.app = tag[1];
    if (tag[2]) out.procid = tag[2];
    rest = rest.slice(tag[0].length);
  }
  out.message = rest;
  return true;
}

export function parseSyslog(line: string, nowMs = Date.now()): Parsed {
  const out: Parsed = { message: line };
  const pri = /^<(\d{1,3})>/.exec(line);
  if (!pri || Number(pri[1]) > 191) return out;
  out.pri = Number(pri[1]);
  const body = line.slice(pri[0].length);
  out.message = body;
  if (!rfc5424(body, out)) rfc3164(body, out, nowMs);
  return out;
}

/** One syslog message (framing already removed) → candidate record. */
export function syslogRecord(line: string, nowMs = Date.now()): IncomingRecord {
  const p = parseSyslog(line, nowMs);
  const extra: Record<string, unknown> = {};
  if (p.pri !== undefined) extra.facility = FACILITIES[p.pri >> 3] ?? p.pri >> 3;
  if (p.procid !== undefined) extra.pid = p.procid;
  if (p.msgid !== undefined) extra.msgid = p.msgid;
  if (p.sd) Object.assign(extra, p.sd);
  return mapRecord({
    doc: p.host !== undefined ? { hostname: p.host } : {},
    serviceKeys: [],
    fallbackService: p.app ?? 'syslog',
    message: p.message,
    ts: p.ts,
    timeFromDoc: false,
    severity: p.pri !== undefined ? p.pri & 7 : undefined,
    extraFields: extra,
  });
}

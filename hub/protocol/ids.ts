/**
 * Record ids: unique across hubs, opaque to clients, sortable as strings, usable as cursors.
 *
 * Format (24 chars, lowercase base32hex digits `0-9a-v`, fixed width so string order == numeric order):
 *
 *   [rts: 9 chars, epoch ms][hub tag: 5 chars][lseq: 10 chars]
 *
 * - rts: the hub's receive time, shared by every record of one commit group; a hub never lets it go
 *   backwards (max(now, last rts), persisted), so within one hub id order == lseq order == rts order.
 * - hub tag: random per data directory, persisted with the hub id; separates hubs that commit in the
 *   same millisecond (ids of different hubs with equal rts order by tag, an arbitrary but stable order).
 * - lseq: the hub's local monotonic record sequence (fits 48 bits).
 * 9 base32 chars of ms reach the year 3084; 10 chars of lseq exceed 2^48.
 */
import { randomInt } from 'node:crypto';

/** Id width and its parts' widths, in chars. */
export const ID_LENGTH = 24;
export const RTS_CHARS = 9;
export const TAG_CHARS = 5;
export const LSEQ_CHARS = 10;
const ID_RE = /^[0-9a-v]{24}$/;
const TAG_RE = /^[0-9a-v]{5}$/;

/** The parts of an id. */
export interface IdParts {
  rts: number;
  tag: string;
  lseq: number;
}

/** A fresh random hub tag (5 base32hex chars). */
export function newHubTag(): string {
  return randomInt(0, 32 ** TAG_CHARS).toString(32).padStart(TAG_CHARS, '0');
}

/** True for a well-formed hub tag. */
export function isHubTag(tag: string): boolean {
  return TAG_RE.test(tag);
}

/** The id prefix shared by every record of a commit group: rts + hub tag. */
export function idPrefix(rts: number, tag: string): string {
  return rts.toString(32).padStart(RTS_CHARS, '0') + tag;
}

/** Completes an id from its group prefix and the record's lseq. */
export function idFromPrefix(prefix: string, lseq: number): string {
  return prefix + lseq.toString(32).padStart(LSEQ_CHARS, '0');
}

/** The id of local record `lseq` of a group with this rts on hub `tag`. */
export function makeId(rts: number, tag: string, lseq: number): string {
  return idFromPrefix(idPrefix(rts, tag), lseq);
}

/** An id below every record's id (a cursor meaning "from the start"). */
export const BEFORE_EVERY_ID = '0'.repeat(24);

/** True for a well-formed id from any hub (what a cursor must look like). */
export function isValidId(id: string): boolean {
  return typeof id === 'string' && ID_RE.test(id);
}

/** Splits an id into its parts; undefined when it is not a well-formed id. */
export function parseId(id: string): IdParts | undefined {
  if (!isValidId(id)) return undefined;
  return {
    rts: parseInt(id.slice(0, RTS_CHARS), 32),
    tag: id.slice(RTS_CHARS, RTS_CHARS + TAG_CHARS),
    lseq: parseInt(id.slice(RTS_CHARS + TAG_CHARS), 32),
  };
}

/**
 * The Elasticsearch `_bulk` body (docs/receivers.md "Elasticsearch"): NDJSON pairs of an action
 * line (`{"index": {...}}`, `{"create": {...}}`; `update`/`delete` are answered per item as
 * unsupported) and a document line. Blank lines are skipped and `_type` is ignored, as rsyslog
 * and old clients send them. One bad line fails only its own item.
 */

export type BulkAction = 'index' | 'create' | 'update' | 'delete';

export interface BulkItem {
  action: BulkAction;
  index: string;
  id?: string;
  /** The parsed document, or why it could not be used. */
  doc?: Record<string, unknown>;
  error?: { type: string; reason: string };
}

const ACTIONS = new Set<BulkAction>(['index', 'create', 'update', 'delete']);

function parseLine(line: string): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(line) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Splits a bulk body into items. Throws only when the body as a whole is unusable. */
export function parseBulk(text: string, defaultIndex: string | undefined): BulkItem[] {
  const lines = text.split('\n');
  const items: BulkItem[] = [];
  let i = 0;
  const nextLine = (): string | undefined => {
    while (i < lines.length) {
      const l = lines[i++].trim();
      if (l !== '') return l;
    }
    return undefined;
  };
  for (;;) {
    const actionLine = nextLine();
    if (actionLine === undefined) break;
    const parsed = parseLine(actionLine);
    const keys = isObject(parsed.value) ? Object.keys(parsed.value) : [];
    if (parsed.error || keys.length !== 1 || !ACTIONS.has(keys[0] as BulkAction)) {
      throw new BulkSyntaxError(`line ${i}: expected an action line such as {"index":{}} or {"create":{}}, got ${JSON.stringify(actionLine.slice(0, 80))}`);
    }
    const action = keys[0] as BulkAction;
    const meta = (parsed.value as Record<string, unknown>)[action];
    const m = isObject(meta) ? meta : {};
    const index = typeof m._index === 'string' && m._index !== '' ? m._index : defaultIndex;
    const item: BulkItem = { action, index: index ?? '' };
    if (typeof m._id === 'string' || typeof m._id === 'number') item.id = String(m._id);
    if (action === 'delete') {
      item.error = { type: 'illegal_argument_exception', reason: 'logwire keeps logs append-only: delete is not supported in bulk (use DELETE /logs?before=)' };
      items.push(item);
      continue;
    }
    const docLine = nextLine();
    if (docLine === undefined) throw new BulkSyntaxError(`the ${action} action on line ${i} has no document line after it`);
    if (action === 'update') item.error = { type: 'illegal_argument_exception', reason: 'logwire keeps logs append-only: update is not supported; use index or create' };
    else if (!index) item.error = { type: 'action_request_validation_exception', reason: 'Validation Failed: 1: index is missing;' };
    else {
      const doc = parseLine(docLine);
      if (doc.error || !isObject(doc.value)) item.error = { type: 'document_parsing_exception', reason: `the document is not a JSON object${doc.error ? `: ${doc.error}` : ''}` };
      else item.doc = doc.value;
    }
    items.push(item);
  }
  if (items.length === 0) throw new BulkSyntaxError('the request body is required: send NDJSON action and document lines');
  return items;
}

export class BulkSyntaxError extends Error {}

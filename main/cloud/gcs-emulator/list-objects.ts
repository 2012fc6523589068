import { GoogleHttpError } from '../http-util.ts';
import { compareNames, type StoredObject } from './object-store.ts';

export interface ListQuery {
  prefix: string;
  delimiter: string | undefined;
  /** GCS pages at 1000 by default. */
  maxResults: number;
  pageToken: string | undefined;
  startOffset: string | undefined;
  endOffset: string | undefined;
}

export interface ListPage {
  items: StoredObject[];
  prefixes: string[];
  nextPageToken: string | undefined;
}

/**
 * One page of `objects.list` over objects sorted by name. With a delimiter, names sharing `prefix + … + delimiter`
 * collapse into one entry of `prefixes` (they are contiguous in sorted order). The page token is opaque to clients:
 * the base64 of the last name consumed, so a page resumes right after it.
 */
export function listObjects(sorted: StoredObject[], query: ListQuery): ListPage {
  const after = query.pageToken === undefined ? undefined : decodeToken(query.pageToken);
  const items: StoredObject[] = [];
  const prefixes: string[] = [];
  let lastConsumed: string | undefined;
  let index = 0;
  for (; index < sorted.length; index++) {
    const object = sorted[index]!;
    if (!isInRange(object.name, query, after)) continue;
    if (items.length + prefixes.length >= query.maxResults) break;
    const folder = collapsedPrefix(object.name, query);
    if (folder === undefined) {
      items.push(object);
      lastConsumed = object.name;
      continue;
    }
    prefixes.push(folder);
    while (index + 1 < sorted.length && sorted[index + 1]!.name.startsWith(folder)) index++;
    lastConsumed = sorted[index]!.name;
  }
  const hasMore = sorted.slice(index).some((o) => isInRange(o.name, query, lastConsumed));
  return { items, prefixes, nextPageToken: hasMore && lastConsumed !== undefined ? encodeToken(lastConsumed) : undefined };
}

function isInRange(name: string, query: ListQuery, after: string | undefined): boolean {
  if (!name.startsWith(query.prefix)) return false;
  if (after !== undefined && compareNames(name, after) <= 0) return false;
  if (query.startOffset !== undefined && compareNames(name, query.startOffset) < 0) return false;
  if (query.endOffset !== undefined && compareNames(name, query.endOffset) >= 0) return false;
  return true;
}

function collapsedPrefix(name: string, query: ListQuery): string | undefined {
  if (!query.delimiter) return undefined;
  const at = name.indexOf(query.delimiter, query.prefix.length);
  return at < 0 ? undefined : name.slice(0, at + query.delimiter.length);
}

function encodeToken(name: string): string {
  return Buffer.from(name, 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  const name = Buffer.from(token, 'base64url').toString('utf8');
  if (name.length === 0) throw new GoogleHttpError(400, 'invalid', 'Invalid pageToken');
  return name;
}

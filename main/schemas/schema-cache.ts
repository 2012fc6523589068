import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ColumnInfo } from '../model/workspace-types.ts';

interface Entry {
  fingerprint: string;
  columns: ColumnInfo[];
}

/** At most this many sampled schemas are kept (oldest dropped first): one per source and version of its data. */
const MAX_ENTRIES = 500;

/**
 * Sampled source schemas in `.pipewright/cache/schemas.json`, keyed by source and config, valid while the data's
 * fingerprint (ETag, mtime) is unchanged. A lost or corrupt file only means sampling again.
 */
export class SchemaCache {
  private entries: Map<string, Entry> | undefined;
  private isDirty = false;

  constructor(private readonly file: string) {}

  static inCacheDir(cacheDir: string): SchemaCache {
    return new SchemaCache(path.join(cacheDir, 'schemas.json'));
  }

  async get(key: string, fingerprint: string, compute: () => Promise<ColumnInfo[]>): Promise<ColumnInfo[]> {
    const entries = await this.load();
    const hit = entries.get(key);
    if (hit && hit.fingerprint === fingerprint) return hit.columns;
    const columns = await compute();
    entries.delete(key);
    entries.set(key, { fingerprint, columns });
    while (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
    this.isDirty = true;
    return columns;
  }

  /** Writes the cache back when something was added (atomically: a reader never sees half a file). */
  async save(): Promise<void> {
    if (!this.isDirty || !this.entries) return;
    await mkdir(path.dirname(this.file), { recursive: true });
    const part = `${this.file}.${process.pid}.part`;
    await writeFile(part, JSON.stringify(Object.fromEntries(this.entries)));
    await rename(part, this.file);
    this.isDirty = false;
  }

  private async load(): Promise<Map<string, Entry>> {
    if (this.entries) return this.entries;
    // A missing or unreadable cache is an empty one: every schema is sampled again.
    const text = await readFile(this.file, 'utf8').catch(() => '{}');
    let parsed: Record<string, Entry> = {};
    try {
      parsed = JSON.parse(text) as Record<string, Entry>;
    } catch (error) {
      void error; // a corrupt cache file is replaced on the next save
    }
    this.entries = new Map(Object.entries(parsed));
    return this.entries;
  }
}

import { JobFailure } from './catalog.ts';
import type { SourceFile } from './gcs-files.ts';

/** The hive keys of a load, their BigQuery types, and each file's values (NULL for `__HIVE_DEFAULT_PARTITION__`). */
export interface HiveLayout {
  keys: { name: string; type: string }[];
  values: Map<string, (string | null)[]>;
}

/**
 * Reads `key=value` folders between `sourceUriPrefix` and each file, as BigQuery's hive-partitioned loads do:
 * mode AUTO detects DATE, INTEGER, TIMESTAMP or STRING per key; STRINGS makes every key a STRING; CUSTOM takes
 * the keys and types from the prefix (`gs://bucket/table/{dt:DATE}`). Every file must have the same keys in the
 * same order. Keys and values are taken literally, as BigQuery does: `city=New%20York` loads as `New%20York`
 * (https://cloud.google.com/bigquery/docs/hive-partitioned-loads-gcs#supported_data_layouts).
 */
export function readHiveLayout(files: SourceFile[], options: Record<string, unknown>): HiveLayout {
  const mode = String(options.mode ?? 'AUTO').toUpperCase();
  const prefix = typeof options.sourceUriPrefix === 'string' ? options.sourceUriPrefix : '';
  if (!prefix)
    throw new JobFailure(
      'invalid',
      'hivePartitioningOptions.sourceUriPrefix is required (the gs:// path right before the first key=value folder)',
    );
  if (options.requirePartitionFilter === true)
    throw new JobFailure('invalid', 'requirePartitionFilter cannot be set on a hive-partitioned load: set it on the table');
  const custom = mode === 'CUSTOM' ? customKeys(prefix) : undefined;
  const base = (custom ? prefix.slice(0, prefix.indexOf('{')) : prefix).replace(/\/*$/, '/');
  let names: string[] | undefined;
  const values = new Map<string, (string | null)[]>();
  for (const file of files) {
    if (!file.uri.startsWith(base)) throw new JobFailure('invalid', `${file.uri} is not under the sourceUriPrefix ${base}`, file.uri);
    const folders = file.uri.slice(base.length).split('/').slice(0, -1);
    const pairs = folders.map((folder) => {
      const eq = folder.indexOf('=');
      if (eq <= 0)
        throw new JobFailure(
          'invalid',
          `${file.uri}: folder "${folder}" is not key=value (hive partition keys must be in the path)`,
          file.uri,
        );
      return [folder.slice(0, eq), folder.slice(eq + 1)] as const;
    });
    const fileKeys = pairs.map(([k]) => k);
    names ??= fileKeys;
    if (fileKeys.join('/') !== names.join('/'))
      throw new JobFailure(
        'invalid',
        `${file.uri} has partition keys ${fileKeys.join(', ') || 'none'}, other files ${names.join(', ')}: every file needs the same keys in the same order`,
        file.uri,
      );
    values.set(
      file.path,
      pairs.map(([, v]) => (v === '__HIVE_DEFAULT_PARTITION__' ? null : v)),
    );
  }
  const keys = (names ?? []).map((name, i) => ({
    name,
    type: custom ? customType(custom, name) : mode === 'STRINGS' ? 'STRING' : detectType([...values.values()].map((v) => v[i] ?? null)),
  }));
  if (keys.length > 10) throw new JobFailure('invalid', `hive-partitioned loads allow at most 10 partition keys; found ${keys.length}`);
  return { keys, values };
}

function customKeys(prefix: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const match of prefix.matchAll(/\{([^:}]+):([A-Za-z0-9]+)\}/g)) keys.set(match[1]!, match[2]!.toUpperCase());
  if (keys.size === 0)
    throw new JobFailure(
      'invalid',
      `CUSTOM hive partitioning needs the keys in sourceUriPrefix, such as gs://bucket/table/{dt:DATE}; got ${prefix}`,
    );
  return keys;
}

function customType(keys: Map<string, string>, name: string): string {
  const type = keys.get(name);
  if (!type) throw new JobFailure('invalid', `partition key ${name} is in the paths but not in the CUSTOM sourceUriPrefix`);
  return type;
}

function detectType(values: (string | null)[]): string {
  const present = values.filter((v): v is string => v !== null);
  if (present.length === 0) return 'STRING';
  if (present.every((v) => /^\d{4}-\d{2}-\d{2}$/.test(v))) return 'DATE';
  if (present.every((v) => /^-?\d{1,18}$/.test(v))) return 'INTEGER';
  if (present.every((v) => /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}(:?\d{2})?|Z)?$/.test(v))) return 'TIMESTAMP';
  return 'STRING';
}

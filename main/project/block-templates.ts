import { z } from 'zod';
import type { BlockKind } from '../model/block-kind.ts';
import { quoteIdent } from '../data/sql-names.ts';

/**
 * What a block starts as when the canvas adds it: a config its kind accepts (placeholders the user replaces)
 * and the text of its code file. Kept beside the writer, not in the kinds, because it is editor behaviour.
 */

const STARTER_CONFIGS: Record<string, (blockId: string) => Record<string, unknown>> = {
  'source/http_file': () => ({ url: 'https://example.com/data.csv', format: 'csv' }),
  'source/local_file': () => ({ path: 'data/input.csv' }),
  'source/gcs': () => ({ bucket: 'my-bucket', path: 'data/' }),
  'export/local_file': (blockId) => ({ path: `exports/${blockId}.parquet`, format: 'parquet' }),
  'export/postgres': (blockId) => ({ table: blockId }),
  'export/gcs': (blockId) => ({ bucket: 'my-bucket', path: `${blockId}.parquet` }),
};

/** A config the kind accepts for a new block named `blockId` (placeholders where the kind needs a value). */
export function starterConfig(kind: BlockKind, blockId: string): Record<string, unknown> {
  const starter = STARTER_CONFIGS[`${kind.type}/${kind.kind}`];
  if (starter) return starter(blockId);
  return {};
}

/** The first text of a new block's code file: a query (or function) over its first upstream block. */
export function starterCode(kind: BlockKind, blockId: string, upstream: readonly string[]): string {
  const first = upstream[0];
  if (kind.codeExtension === '.ts') {
    // Record batches in, record batches out: memory stays bounded whatever the table's size, and a batch yielded as
    // it is keeps every column's type, so the untouched starter passes its input through unchanged.
    const input = first ? `inputs[${JSON.stringify(first)}]` : undefined;
    return [
      `import type { RecordBatch } from 'apache-arrow';`,
      ``,
      `/**`,
      ` * ${blockId}: reads upstream outputs by block id as Apache Arrow record batches (up to 2,048 rows each) and yields`,
      ` * its output's batches (or Tables); only a few batches are in memory at a time, whatever the table's size.`,
      ` * For the whole table at once, write a plain function: \`export default function (inputs: Record<string, Table>)\``,
      ` * returning a Table or rows; it holds every input in memory (about the size of its columns, plus a copy).`,
      ` */`,
      `export default async function* transform(inputs: Record<string, AsyncIterable<RecordBatch>>) {`,
      input
        ? `  for await (const batch of ${input}) yield batch;`
        : `  // Connect an upstream block: its batches arrive in inputs['<block id>'].`,
      `}`,
      '',
    ].join('\n');
  }
  if (kind.codeExtension === '.py') return pythonStarter(kind.type, blockId, upstream);
  if (kind.type === 'source') return `-- ${blockId}: a query that produces this block's rows\nselect 1 as id\n`;
  return `-- ${blockId}: upstream blocks are tables named by their ids\nselect *\nfrom ${first ? quoteIdent(first) : 'upstream_block'}\n`;
}

/** A Python block's first text: the decorated function its block type runs, and a @test of its output. */
function pythonStarter(type: BlockKind['type'], blockId: string, upstream: readonly string[]): string {
  const inputs = upstream.length ? [...upstream] : ['df'];
  const params = [...inputs, '**kwargs'].join(', ');
  const first = inputs[0] ?? 'df';
  if (type === 'sensor') {
    return [
      'import os',
      '',
      '',
      '@sensor',
      'def ready(**kwargs):',
      `    """${blockId}: called every interval_seconds until it returns True (at most timeout_seconds)."""`,
      "    return os.path.exists('landing/ready.txt')",
      '',
    ].join('\n');
  }
  const functions: Partial<Record<BlockKind['type'], string[]>> = {
    source: [
      '@source',
      'def load(**kwargs):',
      `    """${blockId}: returns this block's rows. kwargs: the run's variables, execution_date, run_id and more."""`,
      "    return pd.DataFrame({'id': [1, 2, 3]})",
    ],
    export: [
      '@export',
      `def export(${params}):`,
      `    """${blockId}: writes its upstream DataFrame somewhere; the block has no output of its own."""`,
      `    print(f'{len(${first})} rows')`,
    ],
  };
  const fn = functions[type] ?? [
    '@transform',
    `def transform(${params}):`,
    `    """${blockId}: upstream outputs arrive as DataFrames, in upstream order."""`,
    `    return ${first}`,
  ];
  const test = type === 'export' ? [] : ['', '', '@test', 'def test_has_rows(output):', "    assert len(output) > 0, 'no rows'"];
  return ['import pandas as pd', '', '', ...fn, ...test, ''].join('\n');
}

/** The kind's config schema as JSON Schema (the input side: defaults are optional), for generated forms. */
export function configJsonSchema(kind: BlockKind): unknown {
  try {
    return z.toJSONSchema(kind.configSchema, { io: 'input', unrepresentable: 'any' });
  } catch (error) {
    // A schema zod cannot express (a transform, say) still gets a palette entry, just no generated form.
    return { description: `no form: ${error instanceof Error ? error.message : String(error)}` };
  }
}

import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { toErrorShape } from '../../../main/model/errors.ts';
import { loadProject } from '../../../main/project/load-project.ts';
import { loadPipeline } from '../../../main/project/load-pipeline.ts';
import { createTestRegistry } from '../test-kinds.ts';
import type { Expected, HostileCase, Outcome } from './case.ts';

type Files = Record<string, string | Buffer>;

const SRC = '  - {id: src, type: source, kind: test_rows, config: {rows: 1}}\n';
const fileOf = (id: string) => `pipelines/${id}/pipeline.yaml`;
const inFile = (id: string) => new RegExp(`^pipelines/${id}/pipeline\\.yaml$`);

/** `blocks:` and the line a broken thing sits on, for pipeline.yaml texts written below. */
function blocks(...lines: string[]): string {
  return `blocks:\n${lines.join('')}`;
}

function billionLaughs(): string {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 10; i++)
    lines.push(
      `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
        .fill(`*${String.fromCharCode(96 + i)}`)
        .join(',')}]`,
    );
  return `${lines.join('\n')}\n${blocks(SRC)}`;
}

/** Pipeline files, each loaded as pipeline `<id>` of one project: [id, name, pipeline.yaml text, extra files, expected]. */
function pipelineCases(dir: string): [string, string, string | Buffer, Files, Expected][] {
  const user = (message: RegExp, extra: Partial<Expected & { line: number; path: string }> = {}) => ({
    kind: 'user' as const,
    message,
    ...extra,
  });
  return [
    ['y_laughs', 'billion laughs aliases', billionLaughs(), {}, user(/alias/i, { file: inFile('y_laughs') })],
    [
      'y_deep_flow',
      '100,000 nested flow lists',
      `x: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`,
      {},
      user(/nest/i, { file: inFile('y_deep_flow') }),
    ],
    [
      'y_deep_block',
      '500 nested block mappings',
      Array.from({ length: 500 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1\n',
      {},
      user(/nest/i),
    ],
    [
      'y_huge',
      'a 3 MB pipeline.yaml',
      `${blocks(SRC)}description: "${'x'.repeat(3 * 1024 * 1024)}"\n`,
      {},
      user(/larger than|too large|MB/i, { file: inFile('y_huge') }),
    ],
    ['y_dup_key', 'a duplicate key', 'blocks: []\nblocks: []\n', {}, user(/duplicate|unique/i, { line: 2 })],
    ['y_tab_indent', 'tab indentation', 'blocks:\n\t- id: a\n', {}, user(/tab|indent/i, { file: inFile('y_tab_indent') })],
    [
      'y_bad_utf8',
      'invalid UTF-8 bytes',
      Buffer.concat([
        Buffer.from('blocks:\n  - {id: src, type: source, kind: test_rows, config: {rows: 1}, description: "'),
        Buffer.from([0xff, 0xfe, 0xc3]),
        Buffer.from('"}\n'),
      ]),
      {},
      { ok: true },
    ],
    ['y_bom', 'a UTF-8 BOM before the text', `\uFEFF${blocks(SRC)}`, {}, { ok: true }],
    ['y_crlf', 'CRLF line endings', blocks(SRC).replaceAll('\n', '\r\n'), {}, { ok: true }],
    [
      'y_json',
      'JSON instead of YAML',
      JSON.stringify({ blocks: [{ id: 'src', type: 'source', kind: 'test_rows', config: { rows: 1 } }] }),
      {},
      { ok: true },
    ],
    [
      'y_nul_string',
      'a NUL escaped in a string',
      blocks('  - {id: src, type: source, kind: test_rows, config: {rows: 1}, description: "a\\0b"}\n'),
      {},
      user(/NUL/, { line: 2 }),
    ],
    [
      'y_nul_raw',
      'a raw NUL byte in the file',
      Buffer.concat([Buffer.from('blocks:\n  - id: a\u0000b\n')]),
      {},
      user(/./, { file: inFile('y_nul_raw') }),
    ],
    ['y_unterminated', 'an unterminated quoted string', 'blocks:\n  - id: "src\n', {}, user(/./, { file: inFile('y_unterminated') })],
    ['y_unknown_key', 'an unknown top-level key', `${blocks(SRC)}bogus: 1\n`, {}, user(/bogus/)],
    ['y_blocks_number', 'blocks is a number', 'blocks: 5\n', {}, user(/blocks/, { line: 1 })],
    ['y_empty', 'an empty file', '', {}, user(/./, { file: inFile('y_empty') })],
    ['y_comments', 'only comments', '# nothing here\n# at all\n', {}, user(/./, { file: inFile('y_comments') })],
    ['y_multi_doc', 'two YAML documents', `${blocks(SRC)}---\n${blocks(SRC)}`, {}, user(/document|source contains/i)],
    ['y_js_tag', 'a !!js/function tag', 'blocks: !!js/function "function(){}"\n', {}, user(/./, { file: inFile('y_js_tag') })],
    ['y_custom_tag', 'an unknown !tag', 'blocks: !shell "rm -rf /"\n', {}, user(/./, { file: inFile('y_custom_tag') })],
    [
      'y_merge_key',
      'a merge key (<<) of an anchor',
      `base: &b {type: source, kind: test_rows}\n${blocks('  - {<<: *b, id: src, config: {rows: 1}}\n')}`,
      {},
      user(/./, { file: inFile('y_merge_key') }),
    ],
    [
      'y_id_space',
      'a block id with a space',
      blocks('  - {id: "my block", type: source, kind: test_rows, config: {rows: 1}}\n'),
      {},
      user(/letters, digits and _/, { line: 2 }),
    ],
    [
      'y_id_digit',
      'a block id starting with a digit',
      blocks('  - {id: 1abc, type: source, kind: test_rows, config: {rows: 1}}\n'),
      {},
      user(/not starting with a digit/),
    ],
    [
      'y_id_long',
      'a 64-character block id',
      blocks(`  - {id: ${'a'.repeat(64)}, type: source, kind: test_rows, config: {rows: 1}}\n`),
      {},
      user(/at most 63/),
    ],
    [
      'y_id_sqlish',
      'a block id with SQL in it',
      blocks('  - {id: "x; drop table t", type: source, kind: test_rows, config: {rows: 1}}\n'),
      {},
      user(/letters, digits and _/),
    ],
    ['y_id_dup', 'two blocks with one id', blocks(SRC, SRC), {}, user(/src/, { file: inFile('y_id_dup') })],
    [
      'y_upstream_unknown',
      'an upstream block that does not exist',
      blocks(SRC, '  - {id: t, type: transform, kind: sql, file: blocks/t.sql, upstream: [ghost]}\n'),
      { 'blocks/t.sql': 'select 1' },
      user(/ghost/),
    ],
    [
      'y_cycle',
      'a cycle between two blocks',
      blocks(
        '  - {id: a, type: transform, kind: sql, file: blocks/t.sql, upstream: [b]}\n',
        '  - {id: b, type: transform, kind: sql, file: blocks/t.sql, upstream: [a]}\n',
      ),
      { 'blocks/t.sql': 'select 1' },
      user(/cycle/i),
    ],
    [
      'y_self_loop',
      'a block upstream of itself',
      blocks('  - {id: a, type: transform, kind: sql, file: blocks/t.sql, upstream: [a]}\n'),
      { 'blocks/t.sql': 'select 1' },
      user(/a/),
    ],
    [
      'y_file_dotdot',
      'file: ../../etc/passwd',
      blocks(SRC, '  - {id: t, type: transform, kind: sql, file: ../../../../../etc/passwd, upstream: [src]}\n'),
      {},
      user(/outside|inside the project|project folder/i, { block: 't' }),
    ],
    [
      'y_file_absolute',
      'file: /etc/passwd',
      blocks(SRC, '  - {id: t, type: transform, kind: sql, file: /etc/passwd, upstream: [src]}\n'),
      {},
      user(/outside|inside the project|project folder|relative/i, { block: 't' }),
    ],
    [
      'y_file_symlink',
      'file: a symlink out of the project',
      blocks(SRC, '  - {id: t, type: transform, kind: sql, file: blocks/link.sql, upstream: [src]}\n'),
      { symlink: path.join(dir, 'blocks', 'link.sql') },
      user(/outside|inside the project|project folder|symlink/i, { block: 't' }),
    ],
    [
      'y_file_folder',
      'file: names a folder',
      blocks(SRC, '  - {id: t, type: transform, kind: sql, file: blocks, upstream: [src]}\n'),
      {},
      user(/not a file|folder/i, { block: 't' }),
    ],
    [
      'y_file_missing',
      'file: does not exist',
      blocks(SRC, '  - {id: t, type: transform, kind: sql, file: blocks/none.sql, upstream: [src]}\n'),
      {},
      user(/none\.sql/, { block: 't' }),
    ],
    [
      'y_file_huge',
      'file: a 3 MB SQL file',
      blocks(SRC, '  - {id: t, type: transform, kind: sql, file: blocks/huge.sql, upstream: [src]}\n'),
      { 'blocks/huge.sql': `select 1 -- ${'x'.repeat(3 * 1024 * 1024)}` },
      user(/MB|large/i),
    ],
    [
      'y_kind_unknown',
      'an unknown block kind',
      blocks('  - {id: a, type: source, kind: teleport, config: {}}\n'),
      {},
      user(/teleport/, { block: 'a' }),
    ],
    ['y_type_unknown', 'an unknown block type', blocks('  - {id: a, type: wormhole, kind: sql}\n'), {}, user(/wormhole|type/, { line: 2 })],
    [
      'y_config_unknown',
      'an unknown config key',
      blocks('  - {id: a, type: source, kind: test_rows, config: {rows: 1, rm: "-rf"}}\n'),
      {},
      user(/rm/, { block: 'a' }),
    ],
    [
      'y_config_type',
      'a config value of the wrong type',
      blocks('  - {id: a, type: source, kind: test_rows, config: {rows: "many"}}\n'),
      {},
      user(/rows/, { block: 'a' }),
    ],
    ['y_long_key', 'a 100,000-character key', `${'k'.repeat(100_000)}: 1\n${blocks(SRC)}`, {}, user(/./, { file: inFile('y_long_key') })],
    [
      'y_layout_bad',
      'a broken layout.json beside it',
      blocks(SRC),
      { ['pipelines/y_layout_bad/layout.json']: '{"nodes": [' },
      user(/invalid YAML/, { file: 'pipelines/y_layout_bad/layout.json' }),
    ],
  ];
}

/** pipewright.yaml variants, each its own project: [name, text, expected]. */
const PROJECT_CASES: [string, string, Expected][] = [
  [
    'project: memory_limit 999999TB',
    'name: p\nengine: {memory_limit: 999999TB}\n',
    { kind: 'user', message: /more than this machine's memory/, path: 'engine.memory_limit' },
  ],
  ['project: negative threads', 'name: p\nengine: {threads: -4}\n', { kind: 'user', message: /threads/, file: 'pipewright.yaml' }],
  ['project: allowed_paths not a list', 'name: p\nallowed_paths: /\n', { kind: 'user', message: /allowed_paths/, file: 'pipewright.yaml' }],
  ['project: no name', 'engine: {}\n', { kind: 'user', message: /name/, file: 'pipewright.yaml' }],
  ['project: a list, not a mapping', '- name: p\n', { kind: 'user', message: /./, file: 'pipewright.yaml' }],
  [
    'project: billion laughs',
    `${billionLaughs().split('blocks:')[0]}name: p\n`,
    { kind: 'user', message: /alias/i, file: 'pipewright.yaml' },
  ],
];

/** The YAML cases: pipelines of one project loaded one by one, and project files each in a project of its own. */
export function yamlCases(makeDir: () => string): HostileCase[] {
  const dir = makeDir();
  writeFileSync(path.join(dir, 'pipewright.yaml'), 'name: hostile\n');
  mkdirSync(path.join(dir, 'blocks'), { recursive: true });
  const cases = pipelineCases(dir);
  for (const [id, , text, files] of cases) {
    mkdirSync(path.join(dir, 'pipelines', id), { recursive: true });
    writeFileSync(path.join(dir, fileOf(id)), text);
    for (const [rel, body] of Object.entries(files)) {
      if (rel === 'symlink') symlinkSync('/etc/hostname', String(body));
      else writeFileSync(path.join(dir, rel), body);
    }
  }
  const kinds = createTestRegistry();
  const loadOne = async (id: string): Promise<Outcome> => {
    try {
      await loadPipeline(await loadProject(dir), id, kinds);
      return { rows: null };
    } catch (error) {
      if (error instanceof Error && 'kind' in error) return { error: toErrorShape(error) };
      throw error;
    }
  };
  const projectCase = ([name, text, expect]: [string, string, Expected]): HostileCase => ({
    group: 'yaml',
    name,
    expect,
    run: async () => {
      const own = makeDir();
      writeFileSync(path.join(own, 'pipewright.yaml'), text);
      try {
        await loadProject(own);
        return { rows: null };
      } catch (error) {
        if (error instanceof Error && 'kind' in error) return { error: toErrorShape(error) };
        throw error;
      }
    },
  });
  const badIds: [string, string][] = [
    ['pipeline id: ../ out of pipelines/', '../../../etc'],
    ['pipeline id: an absolute path', '/etc/passwd'],
    ['pipeline id: empty', ''],
    ['pipeline id: 100 characters', 'p'.repeat(100)],
    ['pipeline id: a NUL', 'p\0x'],
    ['pipeline id: SQL', "p'; drop table x; --"],
  ];
  const idCase = ([name, id]: [string, string]): HostileCase => ({
    group: 'yaml',
    name,
    expect: { kind: 'user', message: /is not a pipeline id/ },
    run: () => loadOne(id),
  });
  return [
    ...cases.map(([id, name, , , expect]): HostileCase => ({ group: 'yaml', name, expect, run: () => loadOne(id) })),
    ...PROJECT_CASES.map(projectCase),
    ...badIds.map(idCase),
  ];
}

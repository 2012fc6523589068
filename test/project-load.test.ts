import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { UserError } from '../main/model/errors.ts';
import type { BlockKind } from '../main/model/block-kind.ts';
import { findProjectRoot, loadProject } from '../main/project/load-project.ts';
import { defaultVariables, loadPipeline } from '../main/project/load-pipeline.ts';
import type { KindLookup } from '../main/project/load-pipeline.ts';
import type { Pipeline } from '../main/model/project.ts';

/** Fake kinds with real zod config schemas: the loader is under test, not the kinds. */
function fakeKind<C>(kind: Omit<BlockKind<C>, 'run' | 'title'>): BlockKind {
  const run = () => Promise.reject(new Error('the loader must never run a block'));
  return { ...kind, title: `fake ${kind.kind}`, run } as BlockKind;
}
const allKinds: BlockKind[] = [
  fakeKind({
    type: 'source',
    kind: 'fake_http',
    code: 'none',
    configSchema: z.strictObject({
      url: z.string().regex(/^https?:\/\//, 'expected an http(s) URL'),
      format: z.enum(['csv', 'parquet']).default('csv'),
      columns: z.record(z.string(), z.string()).optional(),
    }),
  }),
  fakeKind({
    type: 'transform',
    kind: 'sql',
    code: 'required',
    codeExtension: '.sql',
    configSchema: z.strictObject({ rename_columns: z.enum(['snake_case']).optional() }),
  }),
  fakeKind({ type: 'transform', kind: 'typescript', code: 'required', codeExtension: '.ts', configSchema: z.strictObject({}) }),
  fakeKind({ type: 'export', kind: 'fake_file', code: 'none', configSchema: z.strictObject({ path: z.string().min(1) }) }),
];
const kinds: KindLookup = {
  get: (type, kind) => allKinds.find((k) => k.type === type && k.kind === kind),
  list: () => [...allKinds],
};

// Line numbers below are asserted in the tests: edit with care.
const PIPELINE = `name: Taxi
variables:
  source_url:
    default: https://example.com/yellow.csv
    description: one month of trips
  max_rows: 100
blocks:
  - id: load
    type: source
    kind: fake_http
    config:
      url: "{{ source_url }}"
      columns:
        VendorID: BIGINT
  - id: clean
    type: transform
    kind: sql
    file: blocks/clean.sql
    upstream: [load]
    tests:
      - name: ts_check
        file: blocks/check.ts
  - id: save
    type: export
    kind: fake_file
    upstream: [clean]
    config:
      path: "out/{{ ds }}.parquet"
`;
const CLEAN_SQL = 'select *\nfrom load\nwhere passenger_count > 0 and n < {{ max_rows }}\n';
const CHECK_TS = 'export function test() {}\n';
const PIPELINE_FILE = 'pipelines/taxi/pipeline.yaml';

const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** Writes a project into a new temp dir: the valid taxi project, with `files` replacing or adding files. */
function makeProject(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-load-'));
  roots.push(dir);
  const all: Record<string, string> = {
    'pipewright.yaml': 'name: demo\n',
    [PIPELINE_FILE]: PIPELINE,
    'blocks/clean.sql': CLEAN_SQL,
    'blocks/check.ts': CHECK_TS,
    ...files,
  };
  for (const [rel, text] of Object.entries(all)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

async function load(dir: string, id = 'taxi'): Promise<Pipeline> {
  return loadPipeline(await loadProject(dir), id, kinds);
}

/** The UserError that loading the project (and its taxi pipeline) throws. */
async function loadError(files: Record<string, string>): Promise<UserError> {
  const dir = makeProject(files);
  try {
    await load(dir);
  } catch (error) {
    assert.ok(error instanceof UserError, `expected a UserError, got ${String(error)}`);
    return error;
  }
  return assert.fail('expected the project to be refused');
}

const withPipeline = (from: string, to: string) => {
  assert.ok(PIPELINE.includes(from), `fixture has no '${from}'`);
  return { [PIPELINE_FILE]: PIPELINE.replace(from, to) };
};

test('loads a valid project: settings with defaults, connections, pipelines, code read as text', async () => {
  const dir = makeProject({
    'connections.yaml': 'local_pg:\n  type: postgres\n  host: localhost\n',
    'pipelines/not-an-id/pipeline.yaml': PIPELINE,
  });
  const project = await loadProject(dir);
  assert.equal(project.dir, dir);
  assert.equal(project.stateDir, path.join(dir, '.pipewright'));
  assert.equal(project.settings.name, 'demo');
  assert.equal(project.settings.engine.concurrency, 4);
  assert.deepEqual(project.connections, { local_pg: { type: 'postgres', host: 'localhost' } });
  assert.deepEqual(project.pipelineIds, ['taxi'], 'folders whose names are not identifiers are not pipelines');
  assert.equal(existsSync(project.stateDir), false, 'loading writes nothing');

  const pipeline = await loadPipeline(project, 'taxi', kinds);
  assert.deepEqual(
    pipeline.blocks.map((b) => b.id),
    ['load', 'clean', 'save'],
  );
  const clean = pipeline.blocks[1];
  assert.equal(clean?.code?.text, CLEAN_SQL);
  assert.equal(clean?.code?.relPath, 'blocks/clean.sql');
  assert.equal(clean?.code?.absPath, path.join(dir, 'blocks/clean.sql'));
  assert.equal(clean?.testCode['blocks/check.ts']?.text, CHECK_TS);
  assert.deepEqual(pipeline.blocks[0]?.config, { url: '{{ source_url }}', columns: { VendorID: 'BIGINT' } }, 'config stays unrendered');
  assert.deepEqual(pipeline.layout, { nodes: {} });
  assert.equal(pipeline.file, path.join(dir, PIPELINE_FILE));
  assert.equal(pipeline.pipelineHash, createHash('sha256').update(PIPELINE).digest('hex'));
  assert.deepEqual(defaultVariables(pipeline.spec), { source_url: 'https://example.com/yellow.csv', max_rows: 100 });
});

test('hashes are stable across loads and follow the code files', async () => {
  const dir = makeProject();
  const first = await load(dir);
  const second = await load(dir);
  assert.equal(second.pipelineHash, first.pipelineHash);
  assert.equal(second.codeHash, first.codeHash);
  writeFileSync(path.join(dir, 'blocks/check.ts'), 'export function test() { /* stricter */ }\n');
  const edited = await load(dir);
  assert.equal(edited.pipelineHash, first.pipelineHash);
  assert.notEqual(edited.codeHash, first.codeHash, 'a test file edit changes the code hash');
  writeFileSync(path.join(dir, 'blocks/clean.sql'), 'select * from load\n');
  assert.notEqual((await load(dir)).codeHash, edited.codeHash);
});

test('reads the canvas layout beside the pipeline, and names layout.json when it is broken', async () => {
  const good = await load(makeProject({ 'pipelines/taxi/layout.json': '{\n\t"nodes": {\n\t\t"load": { "x": 10, "y": 20 }\n\t}\n}\n' }));
  assert.deepEqual(good.layout, { nodes: { load: { x: 10, y: 20 } } });
  const broken = await loadError({ 'pipelines/taxi/layout.json': '{\n  "nodes": {\n    "load": { "x": "left", "y": 20 }\n  }\n}\n' });
  assert.match(broken.message, /^pipelines\/taxi\/layout\.json:3:15 nodes\.load\.x: expected a number, got the text "left"/);
  assert.deepEqual(broken.place, { file: 'pipelines/taxi/layout.json', line: 3, column: 15, path: 'nodes.load.x' });
});

test('tab indentation is reported as invalid YAML at its line', async () => {
  const error = await loadError(withPipeline('    type: source\n', '\ttype: source\n'));
  assert.match(error.message, /^pipelines\/taxi\/pipeline\.yaml:9:1 invalid YAML: tabs are not allowed as indentation/);
  assert.equal(error.place.file, PIPELINE_FILE);
  assert.equal(error.place.line, 9);
});

test('an unclosed quote is reported where the quote opens', async () => {
  const error = await loadError(withPipeline('path: "out/{{ ds }}.parquet"', 'path: "out/{{ ds }}.parquet'));
  assert.match(error.message, /^pipelines\/taxi\/pipeline\.yaml:28:13 invalid YAML: this quoted text is never closed/);
  assert.deepEqual(error.place, { file: PIPELINE_FILE, line: 28, column: 13 });
});

test('a duplicated key and an alias without its anchor are refused as invalid YAML', async () => {
  const error = await loadError({ 'pipewright.yaml': 'name: demo\nname: other\n' });
  assert.match(error.message, /^pipewright\.yaml:2:1 invalid YAML: Map keys must be unique/);
  const dangling = await loadError({ 'pipewright.yaml': 'description: &d text\nname: *nope\n' });
  assert.match(dangling.message, /^pipewright\.yaml:2:7 invalid YAML: \*nope refers to no anchor/);
});

test('an unknown key is named, with the closest known key suggested', async () => {
  const error = await loadError(withPipeline('    upstream: [clean]', '    upstreams: [clean]'));
  assert.match(
    error.message,
    /^pipelines\/taxi\/pipeline\.yaml:26:5 blocks\[2\]\.upstreams: unknown key 'upstreams', did you mean 'upstream'\?/,
  );
  assert.deepEqual(error.place, { file: PIPELINE_FILE, line: 26, column: 5, path: 'blocks[2].upstreams', block: 'save' });

  const inConfig = await loadError(withPipeline('      columns:', '      colums:'));
  assert.match(inConfig.message, /:13:7 blocks\[0\]\.config\.colums: unknown key 'colums', did you mean 'columns'\?/);
  assert.equal(inConfig.place.block, 'load');

  const farOff = await loadError({ 'pipewright.yaml': 'name: demo\nzzz_unrelated: 1\n' });
  assert.match(
    farOff.message,
    /^pipewright\.yaml:2:1 zzz_unrelated: unknown key 'zzz_unrelated' \(known keys: name, description, engine, default_connections, alerts, retention, python, allowed_paths, maximum_bytes_billed\)/,
  );
});

test('a wrong type names the file, line, path, what was expected and what was found', async () => {
  const error = await loadError({ 'pipewright.yaml': 'name: demo\nengine:\n  concurrency: "four"\n' });
  assert.equal(error.message, 'pipewright.yaml:3:3 engine.concurrency: expected a number, got the text "four"');
  assert.deepEqual(error.place, { file: 'pipewright.yaml', line: 3, column: 3, path: 'engine.concurrency' });

  const inPipeline = await loadError(withPipeline('name: Taxi\n', 'name: Taxi\nconcurrency: four\n'));
  assert.match(inPipeline.message, /^pipelines\/taxi\/pipeline\.yaml:2:1 concurrency: expected a number/);
});

test('several problems are listed together in file order', async () => {
  const error = await loadError(withPipeline('    type: export\n', '    type: exprt\n    timeout: -1\n'));
  const lines = error.message.split('\n');
  assert.equal(lines.length, 2);
  assert.match(
    lines[0] ?? '',
    /:24:5 blocks\[2\]\.type: expected one of source, transform, export, sensor, got the text "exprt", did you mean 'export'\?/,
  );
  assert.match(lines[1] ?? '', /:25:5 blocks\[2\]\.timeout: expected a value > 0, got number -1/);
  assert.equal(error.place.line, 24);
});

test('a block of an unknown kind lists the known kinds of its type', async () => {
  const error = await loadError(withPipeline('kind: fake_http', 'kind: fake_htp'));
  assert.match(
    error.message,
    /^pipelines\/taxi\/pipeline\.yaml:10:5 blocks\[0\]\.kind: unknown source kind 'fake_htp', did you mean 'fake_http'\?; known source kinds: fake_http/,
  );
  assert.equal(error.place.block, 'load');

  const wrongType = await loadError(withPipeline('    type: transform\n    kind: sql', '    type: source\n    kind: sql'));
  assert.match(wrongType.message, /unknown source kind 'sql' \(sql is a transform kind: set type: transform\)/);
});

test('a duplicate block id names the id and both places', async () => {
  const error = await loadError(withPipeline('  - id: save', '  - id: load'));
  assert.match(
    error.message,
    /^pipelines\/taxi\/pipeline\.yaml:23:5 duplicate block id 'load': blocks\[0\] \(line 8\) and blocks\[2\] \(line 23\)/,
  );
  assert.deepEqual(error.place, { block: 'load', file: PIPELINE_FILE, line: 23, column: 5, path: 'blocks[2].id' });
});

test('a missing block file names the block and the file', async () => {
  const error = await loadError(withPipeline('file: blocks/clean.sql', 'file: blocks/cleaned.sql'));
  assert.match(error.message, /:18:5 blocks\[1\]\.file: block clean: code file blocks\/cleaned\.sql does not exist/);
  assert.equal(error.place.block, 'clean');

  const missingTest = await loadError(withPipeline('file: blocks/check.ts', 'file: blocks/checks.ts'));
  assert.match(missingTest.message, /:22:9 blocks\[1\]\.tests\[0\]\.file: block clean: code file blocks\/checks\.ts does not exist/);
});

test('code files must stay inside the project: .. escapes, absolute paths and outward links are refused', async () => {
  const escape = await loadError(withPipeline('file: blocks/clean.sql', 'file: ../../etc/passwd'));
  assert.match(escape.message, /:18:5 blocks\[1\]\.file: block clean: '\.\.\/\.\.\/etc\/passwd' points outside the project folder/);
  const absolute = await loadError(withPipeline('file: blocks/clean.sql', 'file: /etc/passwd.sql'));
  assert.match(absolute.message, /'\/etc\/passwd\.sql' is an absolute path/);

  const outside = mkdtempSync(path.join(os.tmpdir(), 'pw-outside-'));
  roots.push(outside);
  writeFileSync(path.join(outside, 'secret.sql'), 'select 1');
  const dir = makeProject();
  rmSync(path.join(dir, 'blocks/clean.sql'));
  symlinkSync(path.join(outside, 'secret.sql'), path.join(dir, 'blocks/clean.sql'));
  await assert.rejects(
    load(dir),
    (error: unknown) => error instanceof UserError && /is a link to .*outside the project folder/.test(error.message),
  );
});

test('file: is required, forbidden or checked for its extension according to the kind', async () => {
  const required = await loadError(withPipeline('    file: blocks/clean.sql\n', ''));
  assert.match(required.message, /:15:5 blocks\[1\]: a transform\/sql block needs a code file: add file: blocks\/clean\.sql/);
  const forbidden = await loadError(withPipeline('    kind: fake_file\n', '    kind: fake_file\n    file: blocks/clean.sql\n'));
  assert.match(forbidden.message, /blocks\[2\]\.file: a export\/fake_file block takes no code file/);
  const extension = await loadError(withPipeline('file: blocks/clean.sql', 'file: blocks/check.ts'));
  assert.match(extension.message, /a transform\/sql block needs a \.sql file, got blocks\/check\.ts/);
});

test("a config that fails the kind's schema points at the offending key", async () => {
  const error = await loadError(withPipeline('default: https://example.com/yellow.csv', 'default: ftp://example.com/yellow.csv'));
  assert.match(
    error.message,
    /^pipelines\/taxi\/pipeline\.yaml:12:7 blocks\[0\]\.config\.url: expected an http\(s\) URL, got the text "ftp:\/\/example\.com\/yellow\.csv"/,
  );
  assert.deepEqual(error.place, { file: PIPELINE_FILE, line: 12, column: 7, path: 'blocks[0].config.url', block: 'load' });

  const missing = await loadError(withPipeline('      path: "out/{{ ds }}.parquet"\n', '      paths: "x"\n'));
  assert.match(missing.message, /:27:5 blocks\[2\]\.config\.path: required: expected text/);
  assert.match(missing.message, /:28:7 blocks\[2\]\.config\.paths: unknown key 'paths', did you mean 'path'\?/);
});

test('an unknown variable in a config template is named at its key; built-ins are known', async () => {
  const error = await loadError(withPipeline('url: "{{ source_url }}"', 'url: "{{ sorce_url }}"'));
  assert.match(error.message, /^pipelines\/taxi\/pipeline\.yaml:12:7 blocks\[0\]\.config\.url: unknown variable 'sorce_url'/);
  assert.match(error.message, /known variables: .*source_url/);
  assert.equal(error.place.block, 'load');

  const inSql = await loadError({ 'blocks/clean.sql': 'select *\nfrom load\nwhere n < {{ max_row }}\n' });
  assert.match(inSql.message, /^blocks\/clean\.sql:3:11 unknown variable 'max_row'/);
  assert.deepEqual(inSql.place, { block: 'clean', file: 'blocks/clean.sql', line: 3, column: 11 });
});

test('a YAML alias bomb (billion laughs) is refused quickly', async () => {
  const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++) {
    const [name, previous] = [String.fromCharCode(97 + i), String.fromCharCode(96 + i)];
    levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`);
  }
  const started = performance.now();
  const error = await loadError({ 'pipewright.yaml': `name: demo\n${levels.join('\n')}\n` });
  assert.ok(
    performance.now() - started < 10_000,
    `refused after ${Math.round(performance.now() - started)} ms (expanding it would take minutes)`,
  );
  assert.match(error.message, /^pipewright\.yaml:3:\d+ too many alias expansions/);
});

test('a file over 2 MB is refused before it is parsed', async () => {
  const big = `name: demo\ndescription: "${'x'.repeat(3 * 1024 * 1024)}"\n`;
  const started = performance.now();
  const error = await loadError({ 'pipewright.yaml': big });
  assert.ok(performance.now() - started < 10_000, `refused after ${Math.round(performance.now() - started)} ms`);
  assert.equal(error.message, 'pipewright.yaml is 3.0 MB; project files are limited to 2 MB');
  assert.deepEqual(error.place, { file: 'pipewright.yaml' });
});

test('deeply nested YAML is refused without exhausting the stack', async () => {
  const flow = await loadError({ 'pipewright.yaml': `name: demo\ndescription: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n` });
  assert.match(flow.message, /^pipewright\.yaml:2 is nested more than 64 levels deep/);
  const compact = await loadError({ 'pipewright.yaml': `name: demo\nx:\n  ${'- '.repeat(100_000)}\n` });
  assert.match(compact.message, /^pipewright\.yaml:3 is nested more than 64 levels deep/);
});

test('a cycle is reported through validateGraph with the blocks named and a line', async () => {
  const error = await loadError(withPipeline('    upstream: [load]\n', '    upstream: [load, save]\n'));
  assert.match(error.message, /^pipelines\/taxi\/pipeline\.yaml:\d+:\d+ cycle between blocks: (?=.*clean)(?=.*save)/);
  assert.equal(error.place.file, PIPELINE_FILE);
  assert.ok(['clean', 'save'].includes(error.place.block ?? ''), `named block: ${error.place.block}`);
  assert.ok([19, 26].includes(error.place.line ?? 0), `line of the upstream list: ${error.place.line}`);
});

test('an unknown upstream is reported at its entry with the block named', async () => {
  const error = await loadError(withPipeline('    upstream: [clean]', '    upstream: [clean, cleen]'));
  assert.match(error.message, /^pipelines\/taxi\/pipeline\.yaml:26:23 block save has unknown upstream 'cleen'/);
  assert.deepEqual(error.place, { block: 'save', file: PIPELINE_FILE, line: 26, column: 23, path: 'blocks[2].upstream[1]' });
});

test('loading reads TypeScript code but never executes it', async () => {
  const dir = makeProject();
  const marker = path.join(dir, 'executed.marker');
  const code = `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\nexport default function transform() {}\n`;
  writeFileSync(path.join(dir, 'blocks/shout.ts'), code);
  writeFileSync(path.join(dir, 'blocks/check.ts'), code);
  const pipeline = PIPELINE.replace(
    '  - id: save',
    '  - id: shout\n    type: transform\n    kind: typescript\n    file: blocks/shout.ts\n    upstream: [clean]\n  - id: save',
  );
  writeFileSync(path.join(dir, PIPELINE_FILE), pipeline);
  const loaded = await load(dir);
  assert.equal(loaded.blocks.find((b) => b.id === 'shout')?.code?.text, code);
  assert.equal(existsSync(marker), false, 'the block file was executed');
});

test('a pipeline id must be an identifier, and a missing pipeline lists the existing ones', async () => {
  const dir = makeProject();
  await assert.rejects(load(dir, '../taxi'), /'\.\.\/taxi' is not a pipeline id/);
  await assert.rejects(load(dir, 'green'), /no pipeline 'green': pipelines\/green\/pipeline\.yaml does not exist; pipelines: taxi/);
});

test('a project without pipewright.yaml, and bad connection names, are explained', async () => {
  const empty = mkdtempSync(path.join(os.tmpdir(), 'pw-empty-'));
  roots.push(empty);
  await assert.rejects(loadProject(empty), /no pipewright\.yaml in .*: is this a Pipewright project\?/);
  const error = await loadError({ 'connections.yaml': 'local_pg:\n  type: postgres\nbad-name:\n  type: postgres\n' });
  assert.match(error.message, /^connections\.yaml:3:1 \["bad-name"\]: invalid name 'bad-name': letters, digits and _ only/);
});

test('findProjectRoot walks up to the folder holding pipewright.yaml', async () => {
  const dir = makeProject();
  const deep = path.join(dir, 'pipelines', 'taxi', 'a', 'b');
  mkdirSync(deep, { recursive: true });
  assert.equal(await findProjectRoot(deep), dir);
  assert.equal(await findProjectRoot(dir), dir);
  const outside = mkdtempSync(path.join(os.tmpdir(), 'pw-noproject-'));
  roots.push(outside);
  assert.equal(await findProjectRoot(outside), undefined);
});

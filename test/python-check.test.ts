import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTempProject } from './helpers/temp-project.ts';
import { runCli } from './helpers/run-cli.ts';
import { PYTHON, py } from './helpers/python-blocks.ts';

const GOOD = 'import pandas as pd\n\n\n@transform\ndef keep(df):\n    return df\n';

test('pipewright check names each Python problem before a run: a missing module with its pip command and line, a syntax error, a condition file', async () => {
  const temp = createTempProject({ python: PYTHON });
  try {
    temp.writeFile('blocks/src.sql', 'SELECT 1 AS n');
    temp.writeFile(
      'blocks/clean_trips.py',
      'import pandas as pd\nimport pw_no_such_module\n\n\n@transform\ndef clean(df):\n    return df\n',
    );
    temp.writeFile('blocks/broken.py', '@transform\ndef broken(df)\n    return df\n');
    temp.writeFile('blocks/fine.py', GOOD);
    temp.writeFile(
      'blocks/only_weekdays.py',
      'import pw_missing_for_condition\n\n\n@condition\ndef weekdays(df, **kwargs):\n    return True\n',
    );
    temp.writePipeline('p', {
      blocks: [
        { id: 'src', type: 'source', kind: 'sql', file: 'blocks/src.sql' },
        py('clean_trips', 'transform', ['src']),
        py('broken', 'transform', ['src']),
        py('fine', 'transform', ['src'], { condition: { python: 'blocks/only_weekdays.py' } }),
      ],
    });
    const result = await runCli(['check', 'p', '--project', temp.dir], { fromSource: true });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    const out = result.stdout;
    assert.match(
      out,
      new RegExp(
        `clean_trips \\(transform/python\\)\\n  . python: block clean_trips needs pw_no_such_module: \`${PYTHON} -m pip install pw_no_such_module\` \\(blocks/clean_trips.py:2\\)`,
      ),
    );
    assert.match(out, /broken \(transform\/python\)\n {2}. python: SyntaxError: .* \(blocks\/broken.py:2\)/);
    assert.match(
      out,
      /fine \(transform\/python\)\n {2}. python: blocks\/fine.py: Python 3\.\d+\.\d+ \(\/usr\/bin\/python3\) finds pandas and every import; data as CSV \(no pyarrow\)\n {2}. condition.python: block fine needs pw_missing_for_condition: .* \(blocks\/only_weekdays.py:1\)/,
    );
    assert.match(out, /p: 3 problems to fix before running/);
  } finally {
    temp.cleanup();
  }
});

test('pipewright check says when the configured interpreter does not exist, naming python: in pipewright.yaml', async () => {
  const temp = createTempProject({ python: '.venv/bin/python' });
  try {
    temp.writeFile(
      'blocks/fine.py',
      GOOD.replace('@transform', '@source').replace('def keep(df)', 'def keep()').replace('return df', 'return pd.DataFrame({"a": [1]})'),
    );
    temp.writePipeline('p', { blocks: [py('fine', 'source')] });
    const result = await runCli(['check', 'p', '--project', temp.dir], { fromSource: true });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(
      result.stdout,
      /. python: block fine needs the Python interpreter \.venv\/bin\/python \(python: in pipewright\.yaml\), which does not exist: fix python: in pipewright\.yaml, or create that environment/,
    );
  } finally {
    temp.cleanup();
  }
});

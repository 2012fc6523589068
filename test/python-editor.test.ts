import { test } from 'node:test';
import assert from 'node:assert/strict';
import { highlightTree, tagHighlighter, tags } from '@lezer/highlight';
import { python } from '../renderer/src/editor/python-language.ts';

/** The text of each highlighted token of `code`, by class. */
function tokens(code: string): Record<string, string[]> {
  const highlighter = tagHighlighter([
    { tag: tags.keyword, class: 'keyword' },
    { tag: tags.string, class: 'string' },
    { tag: tags.comment, class: 'comment' },
    { tag: tags.number, class: 'number' },
    { tag: tags.function(tags.variableName), class: 'function' },
    { tag: tags.special(tags.variableName), class: 'decorator' },
  ]);
  const found: Record<string, string[]> = {};
  highlightTree(python.parser.parse(code), highlighter, (from, to, cls) => {
    (found[cls] ??= []).push(code.slice(from, to));
  });
  return found;
}

test('the editor highlights Python keywords, strings across lines, comments, numbers, decorators and definitions', () => {
  const code = '@transform\ndef clean(df, **kwargs):\n    """Doc\n    more"""\n    # drop bad rows\n    return df[df.n > 10]\n';
  const found = tokens(code);
  assert.deepEqual(found.keyword, ['def', 'return']);
  assert.deepEqual(found.decorator, ['@transform']);
  assert.deepEqual(found.function, ['clean']);
  assert.deepEqual(found.comment, ['# drop bad rows']);
  assert.deepEqual(found.number, ['10']);
  assert.deepEqual(found.string?.join(''), '"""Doc    more"""');
});

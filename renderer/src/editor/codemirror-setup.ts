import { autocompletion, closeBrackets, closeBracketsKeymap, closeCompletion, completionKeymap } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { javascript } from '@codemirror/lang-javascript';
import { PostgreSQL, SQLDialect, sql, type SQLNamespace } from '@codemirror/lang-sql';
import { HighlightStyle, bracketMatching, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { lintGutter, lintKeymap, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { Compartment, EditorState, Prec, type Extension } from '@codemirror/state';
import { tags } from '@lezer/highlight';
import {
  EditorView,
  drawSelection,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
  placeholder,
} from '@codemirror/view';
import { pythonExtension } from './python-language.ts';

/** A problem to show in the editor, at a 1-based line (and column, when known). */
export interface EditorProblem {
  line: number;
  column?: number;
  message: string;
}

export type EditorLanguage = 'sql' | 'typescript' | 'python';

/** What the editor calls back into React with. Read through a ref so the view never needs re-creating. */
export interface EditorCallbacks {
  onChange(text: string): void;
  onSave?(): void;
  onRun?(): void;
}

/** DuckDB's words on top of PostgreSQL's: the grammar is close, the extras matter for highlighting and completion. */
const DUCKDB_KEYWORDS = [
  'qualify',
  'pivot',
  'unpivot',
  'exclude',
  'replace',
  'columns',
  'asof',
  'positional',
  'semi',
  'anti',
  'sample',
  'using sample',
  'describe',
  'summarize',
  'attach',
  'detach',
  'install',
  'load',
  'pragma',
  'macro',
  'struct',
  'map',
  'list',
  'union_by_name',
  'by name',
  'ilike',
  'glob',
  'similar',
  'lambda',
].join(' ');
const DUCKDB_TYPES =
  'hugeint uhugeint utinyint usmallint uinteger ubigint tinyint blob varchar struct map list union uuid json timestamptz interval';
const DUCKDB_BUILTINS = [
  'read_csv',
  'read_csv_auto',
  'read_parquet',
  'read_json',
  'read_json_auto',
  'strftime',
  'strptime',
  'date_trunc',
  'date_part',
  'epoch_ms',
  'epoch_us',
  'list_value',
  'struct_pack',
  'unnest',
  'regexp_matches',
  'regexp_replace',
  'string_agg',
  'array_agg',
  'approx_count_distinct',
  'quantile_cont',
  'median',
  'arg_max',
  'arg_min',
  'coalesce',
  'try_cast',
  'hash',
  'md5',
  'sha256',
  'generate_series',
  'range',
  'current_date',
  'now',
].join(' ');

/** A DuckDB-flavoured SQL dialect (PostgreSQL's rules plus DuckDB keywords, types and table functions). */
export const DuckDB = SQLDialect.define({
  ...PostgreSQL.spec,
  keywords: `${PostgreSQL.spec.keywords ?? ''} ${DUCKDB_KEYWORDS}`,
  types: `${PostgreSQL.spec.types ?? ''} ${DUCKDB_TYPES}`,
  builtin: `${PostgreSQL.spec.builtin ?? ''} ${DUCKDB_BUILTINS}`,
});

/** Colours from the app's CSS variables, so light and dark follow the OS like the rest of the UI. */
const appTheme = EditorView.theme({
  '&': { height: '100%', fontSize: '12.5px', backgroundColor: 'var(--surface)', color: 'var(--text)' },
  '.cm-scroller': { fontFamily: "ui-monospace, 'SF Mono', Menlo, Consolas, monospace", lineHeight: '1.5' },
  '.cm-gutters': { backgroundColor: 'var(--surface-2)', color: 'var(--muted)', borderRight: '1px solid var(--border)' },
  '.cm-activeLine, .cm-activeLineGutter': { backgroundColor: 'color-mix(in srgb, var(--accent) 8%, transparent)' },
  '&.cm-focused': { outline: 'none' },
  '.cm-cursor': { borderLeftColor: 'var(--text)' },
  // CodeMirror's own grey is below 4.5:1 on white.
  '.cm-placeholder': { color: 'var(--muted)' },
  '.cm-tooltip': { backgroundColor: 'var(--surface)', border: '1px solid var(--border)' },
});

/** Token colours as CSS variables (editor.css): readable in the light and the dark theme alike. */
const appHighlight = HighlightStyle.define([
  { tag: [tags.keyword, tags.operatorKeyword, tags.modifier], color: 'var(--cm-keyword)' },
  { tag: [tags.string, tags.special(tags.string), tags.regexp], color: 'var(--cm-string)' },
  { tag: [tags.number, tags.bool, tags.null], color: 'var(--cm-number)' },
  { tag: [tags.comment, tags.lineComment, tags.blockComment], color: 'var(--cm-comment)', fontStyle: 'italic' },
  { tag: [tags.typeName, tags.className, tags.standard(tags.name)], color: 'var(--cm-type)' },
  { tag: [tags.function(tags.variableName), tags.function(tags.propertyName)], color: 'var(--cm-function)' },
  { tag: [tags.special(tags.name), tags.quote, tags.meta], color: 'var(--cm-name)' },
]);

/** Handles to one mounted editor: the React wrapper swaps language, completions and problems through them. */
export interface MountedEditor {
  view: EditorView;
  setLanguage(language: EditorLanguage, schema: SQLNamespace): void;
  setProblems(problems: readonly EditorProblem[]): void;
  replaceText(text: string): void;
  insertAtCursor(text: string): void;
  destroy(): void;
}

/** Mounts CodeMirror in `parent` with highlighting, completion, lint markers and the Mod-s / Mod-Enter keys. */
export function mountEditor(
  parent: HTMLElement,
  opts: {
    text: string;
    language: EditorLanguage;
    schema: SQLNamespace;
    ariaLabel: string;
    placeholder?: string;
    callbacks: { current: EditorCallbacks };
  },
): MountedEditor {
  const languageSlot = new Compartment();
  const keys = Prec.highest(
    keymap.of([
      { key: 'Mod-s', preventDefault: true, run: () => (opts.callbacks.current.onSave?.(), true) },
      // A completion list left open would cover the rows the run brings.
      { key: 'Mod-Enter', preventDefault: true, run: (view) => (closeCompletion(view), opts.callbacks.current.onRun?.(), true) },
    ]),
  );
  const extensions: Extension[] = [
    keys,
    lineNumbers(),
    highlightActiveLineGutter(),
    highlightActiveLine(),
    history(),
    drawSelection(),
    indentOnInput(),
    bracketMatching(),
    closeBrackets(),
    autocompletion({ icons: false }),
    lintGutter(),
    syntaxHighlighting(appHighlight),
    keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap, ...lintKeymap, indentWithTab]),
    languageSlot.of(languageExtension(opts.language, opts.schema)),
    appTheme,
    // tabindex spelled out: axe counts the scroller as keyboard-reachable only through an explicitly focusable child.
    EditorView.contentAttributes.of({ 'aria-label': opts.ariaLabel, tabindex: '0' }),
    EditorView.updateListener.of((update) => {
      if (update.docChanged) opts.callbacks.current.onChange(update.state.doc.toString());
    }),
  ];
  if (opts.placeholder) extensions.push(placeholder(opts.placeholder));
  const view = new EditorView({ parent, state: EditorState.create({ doc: opts.text, extensions }) });
  return {
    view,
    setLanguage: (language, schema) => view.dispatch({ effects: languageSlot.reconfigure(languageExtension(language, schema)) }),
    setProblems: (problems) =>
      view.dispatch(
        setDiagnostics(
          view.state,
          problems.map((p) => toDiagnostic(view.state, p)),
        ),
      ),
    replaceText: (text) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
    insertAtCursor: (text) => {
      const { from, to } = view.state.selection.main;
      view.dispatch({ changes: { from, to, insert: text }, selection: { anchor: from + text.length } });
      view.focus();
    },
    destroy: () => view.destroy(),
  };
}

function languageExtension(language: EditorLanguage, schema: SQLNamespace): Extension {
  if (language === 'python') return pythonExtension(schema);
  return language === 'sql' ? sql({ dialect: DuckDB, schema }) : javascript({ typescript: true });
}

/** A problem as a lint diagnostic: from its column (or the line's first non-blank) to the end of the word there. */
function toDiagnostic(state: EditorState, problem: EditorProblem): Diagnostic {
  const lineNumber = Math.min(Math.max(1, problem.line), state.doc.lines);
  const line = state.doc.line(lineNumber);
  const column = problem.column ?? line.text.search(/\S/) + 1;
  const from = Math.min(line.from + Math.max(0, column - 1), line.to);
  const word = /^[\w"]+/.exec(line.text.slice(from - line.from))?.[0].length ?? 0;
  return { from, to: Math.max(from + word, Math.min(from + 1, line.to)), severity: 'error', message: problem.message };
}

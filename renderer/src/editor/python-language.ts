import { StreamLanguage, type StreamParser, type StringStream } from '@codemirror/language';

/**
 * Python highlighting for block files: keywords, strings (triple-quoted ones across lines), numbers, comments,
 * decorators and definition names. A small stream tokenizer until @codemirror/lang-python (a full parser) is a
 * dependency; it does not indent or fold.
 */

const KEYWORDS = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif',
  'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'match', 'case',
  'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield',
]);
const BUILTINS = new Set(['print', 'len', 'range', 'list', 'dict', 'set', 'tuple', 'str', 'int', 'float', 'bool', 'isinstance', 'sum', 'min', 'max', 'sorted', 'enumerate', 'zip', 'self']);

interface PythonState {
  /** The closing quotes of a triple-quoted string still open at the end of the last line. */
  openString: string | null;
  /** The previous word was `def` or `class`: the next one is a definition name. */
  isDefinitionNext: boolean;
}

function readString(stream: StringStream, close: string): boolean {
  while (!stream.eol()) {
    if (stream.match(close)) return true;
    if (stream.next() === '\\') stream.next();
  }
  return false;
}

const parser: StreamParser<PythonState> = {
  name: 'python',
  startState: () => ({ openString: null, isDefinitionNext: false }),
  token(stream, state) {
    if (state.openString) {
      if (readString(stream, state.openString)) state.openString = null;
      return 'string';
    }
    if (stream.eatSpace()) return null;
    if (stream.match('#')) {
      stream.skipToEnd();
      return 'comment';
    }
    const quote = stream.match(/^[rbfuRBFU]{0,2}("""|'''|"|')/) as RegExpMatchArray | null;
    if (quote?.[1]) {
      const close = quote[1];
      const closed = readString(stream, close);
      if (!closed && close.length === 3) state.openString = close;
      return 'string';
    }
    if (stream.match(/^(0[xob][\da-f_]+|\d[\d_]*\.?[\d_]*(e[+-]?\d+)?j?|\.\d[\d_]*(e[+-]?\d+)?j?)/i)) return 'number';
    if (stream.match(/^@[\w.]+/)) return 'variableName.special'; // decorators
    const word = stream.match(/^[A-Za-z_]\w*/) as RegExpMatchArray | null;
    if (word) {
      const text = word[0];
      if (state.isDefinitionNext) {
        state.isDefinitionNext = false;
        return 'variableName.function';
      }
      if (KEYWORDS.has(text)) {
        state.isDefinitionNext = text === 'def' || text === 'class';
        return text === 'True' || text === 'False' ? 'bool' : text === 'None' ? 'null' : 'keyword';
      }
      if (BUILTINS.has(text)) return 'builtin';
      return stream.peek() === '(' ? 'variableName.function' : 'variableName';
    }
    stream.next();
    return null;
  },
  languageData: { commentTokens: { line: '#' }, closeBrackets: { brackets: ['(', '[', '{', "'", '"'] } },
};

/** The Python language extension for the block editor. */
export const python = StreamLanguage.define(parser);

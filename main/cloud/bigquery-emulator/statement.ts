import {
  checkLayout,
  readClustering,
  readColumnList,
  readName,
  readPartitioning,
  skipParenthesised,
  type Partitioning,
} from './ddl-clauses.ts';
import { translateQuery } from './query-sql.ts';
import type { Field } from './schema.ts';
import { Cursor, isWord, refuse, tokenize, type Token } from './sql-tokens.ts';

export { checkLayout, type Partitioning };

/** A table as a statement names it: `project.dataset.table`, `dataset.table` or `table` (default dataset). */
export interface TableName {
  projectId?: string;
  datasetId?: string;
  tableId: string;
}

export type Statement =
  /** A query (SELECT, WITH, VALUES), translated to DuckDB. */
  | { kind: 'query'; sql: string }
  | {
      kind: 'createTable';
      replace: boolean;
      ifNotExists: boolean;
      table: TableName;
      /** The column list, for CREATE TABLE without AS. */
      columns?: Field[];
      partitioning?: Partitioning;
      clustering?: string[];
      /** The AS query, translated to DuckDB. */
      asQuery?: string;
    }
  | { kind: 'dropTable'; ifExists: boolean; table: TableName };

const QUERY_STARTS = ['SELECT', 'WITH', 'VALUES', 'FROM'];
const DML = ['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'TRUNCATE'];
/** https://cloud.google.com/bigquery/docs/reference/standard-sql/procedural-language */
const SCRIPTING = [
  'DECLARE',
  'SET',
  'BEGIN',
  'IF',
  'LOOP',
  'WHILE',
  'REPEAT',
  'FOR',
  'CALL',
  'EXECUTE',
  'RAISE',
  'RETURN',
  'BREAK',
  'LEAVE',
  'CONTINUE',
  'ITERATE',
  'ASSERT',
  'EXPORT',
  'LOAD',
];

/**
 * What one query job's GoogleSQL asks for: a query, `CREATE [OR REPLACE] TABLE [IF NOT EXISTS] … [(columns)]
 * [PARTITION BY …] [CLUSTER BY …] [OPTIONS(…)] [AS query]`, or `DROP TABLE [IF EXISTS] …`
 * (https://cloud.google.com/bigquery/docs/reference/standard-sql/data-definition-language). Anything else (DML,
 * scripts, other DDL, several statements) is refused with `invalidQuery` naming what is not supported.
 */
export function parseStatement(text: string): Statement {
  const tokens = withoutFinalSemicolon(tokenize(text));
  const first = tokens[0];
  if (!first) refuse('Syntax error: the query is empty');
  if (tokens.some((t) => t.kind === 'symbol' && t.text === ';'))
    refuse('the emulator runs one statement per query job: scripts (several statements separated by ";") are not supported');
  const word = first.kind === 'word' ? first.text.toUpperCase() : first.text;
  if (QUERY_STARTS.includes(word) || word === '(') return { kind: 'query', sql: translateQuery(text) };
  if (word === 'CREATE') return parseCreate(new Cursor(tokens.slice(1)), text);
  if (word === 'DROP') return parseDrop(new Cursor(tokens.slice(1)));
  if (DML.includes(word))
    refuse(
      `${word} (DML) is not supported by the emulator: write query results with a destination table, or with CREATE OR REPLACE TABLE … AS SELECT`,
    );
  if (SCRIPTING.includes(word))
    refuse(`${word}: scripts (procedural language) are not supported by the emulator; a query job runs one statement`);
  refuse(`${word} statements are not supported by the emulator (it runs queries, CREATE TABLE and DROP TABLE)`);
}

function withoutFinalSemicolon(tokens: Token[]): Token[] {
  const last = tokens.at(-1);
  return last?.kind === 'symbol' && last.text === ';' ? tokens.slice(0, -1) : tokens;
}

function parseCreate(cursor: Cursor, text: string): Statement {
  const replace = cursor.acceptWords('OR', 'REPLACE');
  if (cursor.acceptWords('TEMP') || cursor.acceptWords('TEMPORARY'))
    refuse('temporary tables need scripts or sessions, which the emulator does not support');
  if (!cursor.acceptWords('TABLE')) {
    // Two-word kinds (MATERIALIZED VIEW, EXTERNAL TABLE, TABLE FUNCTION …) are named whole.
    const first = cursor.peek()?.text.toUpperCase() ?? '';
    const what = ['MATERIALIZED', 'EXTERNAL', 'SNAPSHOT', 'SEARCH', 'VECTOR', 'ROW', 'AGGREGATE'].includes(first)
      ? `${first} ${cursor.peek(1)?.text.toUpperCase() ?? ''}`
      : first;
    refuse(`CREATE ${what || 'without an object'} is not supported by the emulator (it creates tables only)`);
  }
  const ifNotExists = cursor.acceptWords('IF', 'NOT', 'EXISTS');
  if (replace && ifNotExists) refuse('CREATE OR REPLACE TABLE cannot be combined with IF NOT EXISTS');
  const table = readTableName(cursor);
  if (isWord(cursor.peek(), 'LIKE') || isWord(cursor.peek(), 'COPY') || isWord(cursor.peek(), 'CLONE'))
    refuse(`CREATE TABLE … ${cursor.peek()!.text.toUpperCase()} is not supported by the emulator`);
  const statement: Extract<Statement, { kind: 'createTable' }> = { kind: 'createTable', replace, ifNotExists, table };
  if (cursor.peek()?.text === '(') statement.columns = readColumnList(cursor);
  while (!cursor.atEnd()) {
    if (cursor.acceptWords('PARTITION', 'BY')) statement.partitioning = readPartitioning(cursor);
    else if (cursor.acceptWords('CLUSTER', 'BY')) statement.clustering = readClustering(cursor);
    else if (cursor.acceptWords('OPTIONS')) skipParenthesised(cursor);
    else if (isWord(cursor.peek(), 'AS')) {
      const start = cursor.peek(1)?.start;
      if (start === undefined) refuse('Syntax error: AS needs a query');
      statement.asQuery = translateQuery(text.slice(start));
      break;
    } else
      refuse(
        `Syntax error: unexpected ${cursor.describeNext()} in CREATE TABLE (the emulator reads a column list, PARTITION BY, CLUSTER BY, OPTIONS and AS)`,
      );
  }
  if (statement.columns && statement.asQuery)
    refuse('CREATE TABLE with both a column list and AS SELECT is not supported by the emulator: name the columns in the SELECT');
  if (!statement.columns && !statement.asQuery) refuse('CREATE TABLE needs a column list or AS SELECT');
  if (statement.columns) checkLayout(statement.columns, statement.partitioning, statement.clustering);
  return statement;
}

function parseDrop(cursor: Cursor): Statement {
  if (!cursor.acceptWords('TABLE')) refuse(`DROP ${cursor.describeNext()} is not supported by the emulator (it drops tables only)`);
  const ifExists = cursor.acceptWords('IF', 'EXISTS');
  const table = readTableName(cursor);
  if (!cursor.atEnd()) refuse(`Syntax error: unexpected ${cursor.describeNext()} after DROP TABLE ${table.tableId}`);
  return { kind: 'dropTable', ifExists, table };
}

/** `a.b.c`, `` `a.b.c` ``, `` `a`.b `` …: up to three parts, project first. */
function readTableName(cursor: Cursor): TableName {
  const parts: string[] = [];
  do {
    const token = cursor.peek();
    if (token?.kind === 'name') parts.push(...token.text.split('.'));
    else parts.push(readName(cursor, 'as the table name'));
    if (token?.kind === 'name') cursor.next();
  } while (cursor.acceptSymbol('.'));
  if (parts.length > 3 || parts.some((p) => p === '')) refuse(`Invalid table name ${parts.join('.')}: use [project.]dataset.table`);
  const [tableId, datasetId, projectId] = [...parts].reverse();
  return { tableId: tableId!, ...(datasetId ? { datasetId } : {}), ...(projectId ? { projectId } : {}) };
}

import type { TempProject } from './temp-project.ts';

/** Pipeline `fan`: a dynamic SQL source of `items` integers (`i`), one SQL child each running `eachSql`, reduced into one table. */
export function writeSqlFanOut(temp: TempProject, items: number, eachSql: string): void {
  temp.writePipeline('fan', {
    blocks: [
      { id: 'ids', type: 'source', kind: 'sql', file: 'blocks/ids.sql', dynamic: true },
      { id: 'each', type: 'transform', kind: 'sql', file: 'blocks/each.sql', upstream: ['ids'], reduce: true },
    ],
  });
  temp.writeFile('blocks/ids.sql', `select range::INTEGER as i from range(${items})`);
  temp.writeFile('blocks/each.sql', eachSql);
}

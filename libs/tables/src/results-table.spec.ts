import { describe, expect, it } from '@jest/globals';
import { Space } from '#optimizer';
import { parseCsv, tableResults, toCsv } from './index.js';

const space = Space.parse([
  { name: 'temperature', type: 'continuous', low: 20, high: 120 },
  { name: 'equivalents', type: 'integer', low: 1, high: 4 },
  { name: 'solvent', type: 'categorical', choices: ['DMF', 'THF', 'tert-amyl alcohol'] },
  { name: 'cat', type: 'composition', components: ['Ni', 'Fe'] },
]);

const read = (text: string) => tableResults(space, 'yield', parseCsv(text));

describe('results tables', () => {
  it('reads numbers, choices and composition components by column name, in any column order', () => {
    const r = read(
      'solvent,yield,cat.Fe,temperature,notes,cat.Ni,equivalents\n' +
        'THF,71.5,0.25,80,first try,0.75,2\n' +
        '"tert-amyl alcohol", 12 ,0.5,1e2,,0.5,4\n',
    );
    expect(r.problems).toEqual([]);
    expect(r.ignoredColumns).toEqual(['notes']);
    expect(r.results).toEqual([
      { params: { temperature: 80, equivalents: 2, solvent: 'THF', 'cat.Ni': 0.75, 'cat.Fe': 0.25 }, value: 71.5, line: 2 },
      { params: { temperature: 100, equivalents: 4, solvent: 'tert-amyl alcohol', 'cat.Ni': 0.5, 'cat.Fe': 0.5 }, value: 12, line: 3 },
    ]);
  });

  it('reads failed experiments from a "failed" column, with their reason', () => {
    const r = read(
      'temperature,equivalents,solvent,cat.Ni,cat.Fe,yield,failed,failure_reason\n' +
        '110,1,DMF,1,0,,true,decomposed\n' +
        '60,3,DMF,0,1,44,false,\n' +
        '70,3,DMF,0,1,,yes,\n',
    );
    expect(r.problems).toEqual([]);
    expect(r.results.map(({ value, failed, reason }) => ({ value, failed, reason }))).toEqual([
      { value: undefined, failed: true, reason: 'decomposed' },
      { value: 44, failed: undefined, reason: undefined },
      { value: undefined, failed: true, reason: undefined },
    ]);
  });

  it('names every bad cell by line and column, and leaves those rows out', () => {
    const r = read(
      'temperature,equivalents,solvent,cat.Ni,cat.Fe,yield,failed\n' +
        '80,2,THF,0.5,0.5,71,\n' +
        'hot,2,THF,0.5,0.5,71,\n' +
        '80,2,THF,0.5,0.5,,\n' +
        '80,2,THF,0.5,0.5,12,maybe\n' +
        '80,2,THF,0.5,0.5,12,true\n' +
        '80,,THF,0.5,0.5,1,5\n',
    );
    expect(r.problems).toEqual([
      'line 3, column "temperature": "hot" is not a number',
      'line 4, column "yield": empty (a failed experiment is marked true in a "failed" column)',
      'line 5, column "failed": "maybe" is not true or false',
      'line 6: a failed experiment has no value, but "yield" is 12',
      'line 7, column "equivalents": empty',
      'line 7, column "failed": "5" is not true or false',
    ]);
    expect(r.results.map((x) => x.line)).toEqual([2]);
  });

  it('names the missing columns, a composition component among them, and a column given twice', () => {
    const r = read('temperature,solvent,cat.Ni,yield,yield\n80,THF,1,5,5\n');
    expect(r.problems).toEqual([
      'column "yield" appears twice in the header',
      'the header has no column for "equivalents", "cat.Fe" (it needs one per parameter, composition components as <name>.<component> and one for the objective "yield")',
    ]);
    expect(r.results).toEqual([]);
  });

  it('writes CSV that reads back field for field, quotes and line breaks included', () => {
    const rows = [
      ['THF', 71.5, '', null],
      ['tert-amyl alcohol, dry', 1e-7, 'said "hot"', 'two\nlines'],
    ];
    const text = toCsv(['solvent', 'yield', 'note', 'reason'], rows);
    expect(text).toBe('solvent,yield,note,reason\nTHF,71.5,,\n"tert-amyl alcohol, dry",1e-7,"said ""hot""","two\nlines"\n');
    expect(parseCsv(text)).toMatchObject({
      columns: ['solvent', 'yield', 'note', 'reason'],
      rows: [
        ['THF', '71.5', '', ''],
        ['tert-amyl alcohol, dry', '1e-7', 'said "hot"', 'two\nlines'],
      ],
    });
  });

  it('reads a header behind a byte-order mark, and says so when a table is separated by semicolons', () => {
    const bom = read('\uFEFFtemperature,equivalents,solvent,cat.Ni,cat.Fe,yield\n80,2,THF,0.5,0.5,71\n');
    expect(bom.problems).toEqual([]);
    expect(bom.results).toHaveLength(1);
    const hint = 'separated by ";" or tabs: save the table with commas (and "." for decimals)';
    expect(() => read('temperature;equivalents;solvent;cat.Ni;cat.Fe;yield\n80;2;THF;0,5;0,5;71\n')).toThrow(
      `(text): line 2 has 3 fields, the header has 1; the header is one column, "temperature;equivalents;solvent;cat.Ni;cat.Fe;yield", ${hint}`,
    );
    const semicolons = read('temperature;equivalents;solvent;cat.Ni;cat.Fe;yield\n80;2;THF;1;0;71\n');
    expect(semicolons.problems).toEqual([expect.stringContaining(hint)]);
  });

  it('takes "failed" as a parameter where the space has one of that name', () => {
    const flagged = Space.parse([{ name: 'failed', type: 'integer', low: 0, high: 1 }]);
    const r = tableResults(flagged, 'y', parseCsv('failed,y\n1,3.5\n'));
    expect(r.problems).toEqual([]);
    expect(r.results).toEqual([{ params: { failed: 1 }, value: 3.5, line: 2 }]);
  });

  it('reads a column per outcome where several are named, each result with every value', () => {
    const plain = Space.parse([{ name: 'x', type: 'continuous', low: 0, high: 1 }]);
    const r = tableResults(plain, ['yield', 'cost'], parseCsv('cost,x,yield,failed\n4,0.5,71,\n,0.2,,true\n,0.3,12,\nn/a,0.4,1,\n'));
    expect(r.problems).toEqual([
      'line 4, column "cost": empty (a failed experiment is marked true in a "failed" column)',
      'line 5, column "cost": "n/a" is not a number',
    ]);
    expect(r.results).toEqual([
      { params: { x: 0.5 }, value: 71, values: { yield: 71, cost: 4 }, line: 2 },
      { params: { x: 0.2 }, failed: true, line: 3 },
    ]);
    expect(tableResults(plain, ['yield', 'cost'], parseCsv('x,yield\n0.5,71\n')).problems).toEqual([
      'the header has no column for "cost" (it needs one per parameter and one per outcome ("yield", "cost"))',
    ]);
  });
});

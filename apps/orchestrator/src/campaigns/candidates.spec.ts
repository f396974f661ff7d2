import { Space } from '#optimizer';
import { DomainError } from '../common/errors.js';
import { checkCandidates, planCandidateList, rowNumberProblems } from './candidates.js';

const space = new Space([
  { name: 'temperature', type: 'continuous', low: 20, high: 100, scale: 'linear' },
  { name: 'solvent', type: 'categorical', choices: ['THF', 'DMF'] },
]);

function problemsOf(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof DomainError) return e.problems;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('candidate lists', () => {
  it('reads a CSV upload into cells by column, with its declared descriptors', () => {
    const list = planCandidateList({
      name: 'stock',
      descriptors: ['polarity'],
      csv: 'temperature,solvent,polarity\n40,THF,4.0\n80,DMF,6.4\n',
    });
    expect(list).toEqual({
      name: 'stock',
      columns: ['temperature', 'solvent', 'polarity'],
      descriptors: ['polarity'],
      rows: [
        { temperature: '40', solvent: 'THF', polarity: '4.0' },
        { temperature: '80', solvent: 'DMF', polarity: '6.4' },
      ],
    });
    const checked = checkCandidates(space, list);
    expect(checked.rows).toEqual([
      { id: '0', params: { temperature: 40, solvent: 'THF' }, features: { polarity: 4 } },
      { id: '1', params: { temperature: 80, solvent: 'DMF' }, features: { polarity: 6.4 } },
    ]);
    expect(checked.index.get(space.key({ temperature: 80, solvent: 'DMF' }))).toBe(1);
  });

  it('refuses an upload it cannot read, naming each problem', () => {
    expect(problemsOf(() => planCandidateList({ csv: 'a,b\n1\n' }))).toEqual(['csv: line 2 has 1 fields, the header has 2']);
    expect(problemsOf(() => planCandidateList({ rows: [{ a: 1 }], descriptors: ['b'] }))).toEqual([
      'descriptors: "b" is not a column of the list (columns: a)',
    ]);
    expect(problemsOf(() => planCandidateList({ rows: [{ a: 1 }], csv: 'a\n1' }))[0]).toMatch(/either as "rows"/);
  });

  it('names every row and column that does not fit the space, and every repeated row', () => {
    const rows = [
      { temperature: 40, solvent: 'THF', polarity: 1 },
      { temperature: 140, solvent: 'THF', polarity: 1 },
      { temperature: 'hot', solvent: 'DMF', polarity: 1 },
      { temperature: 40, solvent: 'water', polarity: 1 },
      { temperature: 40, solvent: 'THF', polarity: 'n/a' },
      { temperature: 40, solvent: 'THF', polarity: 2 },
    ];
    expect(
      problemsOf(() => checkCandidates(space, { columns: ['temperature', 'solvent', 'polarity'], descriptors: ['polarity'], rows })),
    ).toEqual([
      'candidates: row 2: "temperature" = 140 is outside [20, 100]',
      'candidates: row 3, column "temperature": "hot" is not a number',
      'candidates: row 4: "solvent" must be one of "THF", "DMF"',
      'candidates: row 5, column "polarity": descriptor "n/a" is not a number',
      'candidates: row 6 repeats row 1 (the same parameter values; ask for "replicates" to run a row more than once)',
    ]);
  });

  it('names unknown and missing columns', () => {
    expect(problemsOf(() => checkCandidates(space, { columns: ['temperature', 'colour'], descriptors: [], rows: [] }))).toEqual([
      'candidates: column "colour" is neither a parameter (temperature, solvent) nor a declared descriptor (name descriptor columns in "descriptors")',
      'candidates: no column for parameter "solvent"',
    ]);
  });

  it('checks row numbers an operator gives against the list', () => {
    expect(rowNumberProblems([1, 0, 5, 6], 5)).toEqual([
      'rows[1]: row 0 is not a row of the list (rows 1 to 5)',
      'rows[3]: row 6 is not a row of the list (rows 1 to 5)',
    ]);
  });
});

import { describe, expect, it } from '@jest/globals';
import { Space } from '#optimizer';
import { CsvError, parseCsv, tableResults, toCsv } from './index.js';

describe('CSV', () => {
  it('names every row whose field count differs from the header, in one error', () => {
    let error: unknown;
    try {
      parseCsv('a,b,c\n1,2,3\n1,2\n1,2,3,4\n', 'f.csv');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CsvError);
    expect((error as CsvError).problems).toEqual(['line 3 has 2 fields, the header has 3', 'line 4 has 4 fields, the header has 3']);
    expect((error as CsvError).message).toBe('f.csv: line 3 has 2 fields, the header has 3; line 4 has 4 fields, the header has 3');
  });

  it('reads LF, CRLF and CR line ends, skips blank lines and names an unclosed quote', () => {
    expect(parseCsv('a,b\r\n1,2\r\n\r\n3,4\r5,6').rows).toEqual([
      ['1', '2'],
      ['3', '4'],
      ['5', '6'],
    ]);
    expect(() => parseCsv('a,b\n"1,2\n', 'f.csv')).toThrow(/^f\.csv: Quote Not Closed/);
    expect(() => parseCsv('\n\n', 'f.csv')).toThrow('f.csv: empty CSV file');
  });

  it('writes a text cell that a spreadsheet would run as a formula behind a quote, and keeps numbers numbers', () => {
    const text = toCsv(
      ['cell'],
      [['=HYPERLINK("http://x","y")'], ['+1+cmd'], ['-2+3'], ['@SUM(A1)'], ['\tx'], [-3.5], ['-3.5'], ['+1e3'], [-1e-7], ['a=b']],
    );
    expect(text.split('\n').slice(1, -1)).toEqual([
      `"'=HYPERLINK(""http://x"",""y"")"`,
      "'+1+cmd",
      "'-2+3",
      "'@SUM(A1)",
      "'\tx",
      '-3.5',
      '-3.5',
      '+1e3',
      '-1e-7',
      'a=b',
    ]);
  });

  it('reads a guarded categorical choice and failure reason back as they were', () => {
    const space = Space.parse([{ name: 'reagent', type: 'categorical', choices: ['=Cl', '-NO2'] }]);
    const csv = toCsv(
      ['reagent', 'y', 'failed', 'failure_reason'],
      [
        ['=Cl', 1, 'false', null],
        ['-NO2', null, 'true', '-40 °C not reached'],
      ],
    );
    expect(tableResults(space, 'y', parseCsv(csv)).results).toEqual([
      { params: { reagent: '=Cl' }, value: 1, line: 2 },
      { params: { reagent: '-NO2' }, failed: true, reason: '-40 °C not reached', line: 3 },
    ]);
  });
});

// Row numbers of a candidate list as an operator types them; apart from the page, so that a unit test reads it.

/**
 * Row numbers as an operator types them ("3, 7-9", 1 = the first row): the numbers, or the parts that are not a
 * number or a range (named, so that nothing is sent). Whether a row is in the list is for the service to say.
 */
export function parseRows(text) {
  const rows = [];
  const problems = [];
  const parts = text
    .replace(/\s*[-–]\s*/g, '-')
    .split(/[,;\s]+/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  if (parts.length === 0) problems.push('give the row numbers to exclude, such as "3, 7-9"');
  for (const part of parts) {
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) {
      const [from, to] = [Number(range[1]), Number(range[2])];
      if (from > to) problems.push(`"${part}": the range runs backwards`);
      else if (to - from >= 100000) problems.push(`"${part}": more than 100,000 rows`);
      else for (let r = from; r <= to; r++) rows.push(r);
    } else if (/^\d+$/.test(part)) rows.push(Number(part));
    else problems.push(`"${part}" is not a row number or a range of them`);
  }
  return { rows: [...new Set(rows)], problems };
}

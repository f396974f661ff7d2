export function parseRows(text: string): { rows: number[]; problems: string[] };

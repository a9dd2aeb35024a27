// Markdown helpers of the report: number formats and tables.

export const int = (n) =>
  Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–';
export const num = (n, digits = 2) =>
  Number.isFinite(n) ? n.toFixed(digits) : '–';
export const ratio = (value, base) =>
  Number.isFinite(value) && Number.isFinite(base) && base !== 0
    ? `${(value / base).toFixed(2)}×`
    : '–';

export function table(header, rows) {
  const lines = [
    `| ${header.join(' | ')} |`,
    `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
  ];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

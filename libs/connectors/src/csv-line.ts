/** Fields as one CSV line (RFC 4180 quoting where needed). */
export function csvLine(fields: readonly string[], delimiter = ','): string {
  return fields
    .map((f) => (f.includes(delimiter) || /["\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f))
    .join(delimiter);
}

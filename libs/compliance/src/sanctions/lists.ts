import fs from 'node:fs';
import path from 'node:path';

/**
 * Which sanctions list files to load: the comma-separated `configured` paths when given, otherwise every
 * `.csv` file in `<home>/sanctions/` (drop the OFAC sdn.csv and alt.csv there). Engine and CLI use the
 * same rule, so `strongroom screen` screens against what the load path screens against.
 */
export function sanctionsListFiles(configured: string | undefined, home: string): string[] {
  if (configured?.trim()) {
    return configured
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)
      .map((p) => path.resolve(p));
  }
  const dir = path.join(home, 'sanctions');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.toLowerCase().endsWith('.csv'))
    .sort()
    .map((f) => path.join(dir, f));
}

import fs from 'node:fs';
import path from 'node:path';
import { schemaSdl } from './print-schema';

describe('the schema the operator console is typed against', () => {
  it('is the gateway schema of today (regenerate with npm run gen:console)', () => {
    const stored = fs.readFileSync(path.join(__dirname, '..', '..', 'console', 'schema.graphql'), 'utf8');
    expect(stored).toBe(schemaSdl());
  });
});

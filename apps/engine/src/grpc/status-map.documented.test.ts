import { status } from '@grpc/grpc-js';
import { ERROR_CODES } from '@strongroom/errors';
import { codeIn, docTable } from '@strongroom/testing';
import { STATUS_BY_CODE } from './status-map';

/**
 * docs/error-catalogue.md §1 against the engine's one table of statuses: every error code is listed once, none
 * that the code lacks, each with the gRPC status the engine sends for it. (The gateway's test holds the GraphQL
 * column to its own mapping from these statuses.)
 */
describe('the error catalogue and STATUS_BY_CODE', () => {
  const rows = docTable('error-catalogue.md', '| code | meaning | gRPC status |');

  it('lists every error code once, with the gRPC status the engine sends', () => {
    const documented = rows.map((r) => codeIn(r[0] as string));
    expect([...documented].sort()).toEqual([...ERROR_CODES].sort());
    expect(new Set(documented).size).toBe(documented.length);
    for (const row of rows) {
      const code = codeIn(row[0] as string) as keyof typeof STATUS_BY_CODE;
      expect({ code, grpc: row[2] }).toEqual({ code, grpc: status[STATUS_BY_CODE[code]] });
    }
  });
});

import { status } from '@grpc/grpc-js';
import { codeIn, docTable } from '@strongroom/testing';
import { GRPC_STATUS_RULES } from './gateway-error';

/**
 * docs/error-catalogue.md §1's GraphQL column against the gateway's mapping: the code a GraphQL client sees for
 * each error code is the one the gateway gives the gRPC status the catalogue names (the engine's test holds that
 * status to the engine's table). A status without a rule is INTERNAL_SERVER_ERROR.
 */
describe('the error catalogue and GRPC_STATUS_RULES', () => {
  const rows = docTable('error-catalogue.md', '| code | meaning | gRPC status |');

  it('gives each error code the GraphQL code the gateway maps its gRPC status to', () => {
    expect(rows.length).toBeGreaterThan(20);
    for (const row of rows) {
      const code = codeIn(row[0] as string);
      const grpc = status[row[2] as keyof typeof status];
      expect(grpc).toBeDefined();
      const graphql = (row[3] as string).split(' ')[0];
      expect({ code, graphql }).toEqual({
        code,
        graphql: GRPC_STATUS_RULES.get(grpc)?.code ?? 'INTERNAL_SERVER_ERROR',
      });
    }
  });
});

// Prints the gateway's GraphQL schema as SDL (the operator console types its queries against it):
// `node bin/run-ts.js apps/gateway/src/print-schema.ts > apps/console/schema.graphql` (npm run gen:console).
import { makeExecutableSchema } from '@graphql-tools/schema';
import { printSchema } from 'graphql';
import { typeDefs } from './graphql/schema';

/** The schema's SDL, as the console's schema.graphql holds it. */
export function schemaSdl(): string {
  return `${printSchema(makeExecutableSchema({ typeDefs }))}\n`;
}

if (process.argv[1] === __filename) process.stdout.write(schemaSdl());

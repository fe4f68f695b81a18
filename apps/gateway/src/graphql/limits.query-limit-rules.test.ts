import { buildSchema, getIntrospectionQuery, parse, specifiedRules, validate } from 'graphql';
import { DEFAULT_QUERY_LIMITS, queryLimitRules } from './limits';

const schema = buildSchema(`
  type Query { node: Node auditVerification: Boolean deadLetterReasons: Int }
  type Node { id: ID! child: Node }
`);
const check = (q: string) =>
  validate(schema, parse(q), [...specifiedRules, ...queryLimitRules(DEFAULT_QUERY_LIMITS)]).map((e) => e.message);

describe('query limits and introspection', () => {
  it("lets every GraphQL tool's standard introspection query through (the explorer's schema and docs)", () => {
    expect(
      check(
        getIntrospectionQuery({
          descriptions: true,
          specifiedByUrl: true,
          directiveIsRepeatable: true,
          schemaDescription: true,
          inputValueDeprecation: true,
        }),
      ),
    ).toEqual([]);
  });

  it('refuses an introspection query that cycles through fields and types, or nests deeper than 20', () => {
    expect(check('{ __schema { types { fields { type { fields { type { name } } } } } } }')).toEqual([
      'the operation introspects in a cycle (__schema.types.fields.type.fields): each of fields, types, … once per path',
    ]);
    expect(check('{ __type(name: "Node") { interfaces { possibleTypes { interfaces { name } } } } }')[0]).toMatch(
      /introspects in a cycle/,
    );
    let ofType = 'name';
    for (let i = 0; i < 20; i++) ofType = `ofType { ${ofType} }`;
    expect(check(`query Deep { __type(name: "Node") { ${ofType} } }`)).toEqual([
      'Deep introspects 22 levels deep; at most 20 are allowed',
    ]);
  });

  it('lets the whole-chain and whole-table fields and introspection be asked for once per operation', () => {
    expect(check('{ a: __schema { queryType { name } } b: __schema { queryType { name } } }')).toEqual([
      'the operation asks for __schema 2 times; it may be asked for once per operation',
    ]);
    expect(check('query Two { __type(name: "Node") { name } t: __type(name: "Query") { name } }')).toEqual([
      'Two asks for __type 2 times; it may be asked for once per operation',
    ]);
    expect(check('{ __schema { queryType { name } } __type(name: "Node") { name } }')).toEqual([]);
    const twenty = Array.from({ length: 20 }, (_, i) => `v${i}: auditVerification`).join(' ');
    expect(check(`{ ${twenty} }`)).toEqual([
      'the operation asks for auditVerification 20 times; it may be asked for once per operation',
    ]);
    expect(check('{ auditVerification deadLetterReasons node { id } }')).toEqual([]);
  });

  it('still counts the depth of everything else, introspection aside', () => {
    let q = 'id';
    for (let i = 0; i < 10; i++) q = `child { ${q} }`;
    expect(check(`{ node { ${q} } }`)).toEqual(['the operation is 12 levels deep; at most 10 are allowed']);
    expect(check('{ __typename node { __typename child { id } } }')).toEqual([]);
  });
});

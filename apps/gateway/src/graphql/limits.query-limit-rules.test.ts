import { buildSchema, getIntrospectionQuery, parse, specifiedRules, validate } from 'graphql';
import { DEFAULT_QUERY_LIMITS, queryLimitRules } from './limits';

const schema = buildSchema(`
  type Query { node: Node }
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

  it('still counts the depth of everything else, introspection aside', () => {
    let q = 'id';
    for (let i = 0; i < 10; i++) q = `child { ${q} }`;
    expect(check(`{ node { ${q} } }`)).toEqual(['the operation is 12 levels deep; at most 10 are allowed']);
    expect(check('{ __typename node { __typename child { id } } }')).toEqual([]);
  });
});

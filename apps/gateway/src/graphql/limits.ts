// Query limits (OWASP GraphQL cheat sheet): depth, aliases, operations per document, and cost. They are
// validation rules, so an attack query is refused before any resolver runs or any engine call is made.
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FieldNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

export interface QueryLimits {
  /** Deepest selection (fragments expanded). Default 10: the schema's deepest useful query is ~7. */
  maxDepth: number;
  /** Aliased fields in a document. Default 20. */
  maxAliases: number;
  /** Operation definitions in one document. Default 5 (one runs; the others are dead weight). */
  maxOperations: number;
  /**
   * Estimated cost: each field costs 1, times the page size of every enclosing list (`first`, default
   * 20). Default 5,000 (e.g. 100 runs × their job × ~20 fields ≈ 4,000).
   */
  maxCost: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = { maxDepth: 10, maxAliases: 20, maxOperations: 5, maxCost: 5000 };

function limitError(message: string, limit: string): GraphQLError {
  // Apollo reports every validation failure as GRAPHQL_VALIDATION_FAILED; `limit` names the one hit
  return new GraphQLError(message, { extensions: { limit } });
}

/**
 * Introspection (`__schema`, `__type`) is answered from the schema alone, never from the engine, and the
 * standard introspection query of every GraphQL tool (the console's explorer among them) nests `ofType`
 * about 15 levels deep: it has a depth limit of its own. What makes an introspection query expensive is a
 * cycle — `types { fields { type { fields { type … } } } }` — so each of these fields may appear once on a
 * path.
 */
const INTROSPECTION_MAX_DEPTH = 20;
const INTROSPECTION_EXPANDING = new Set(['fields', 'inputFields', 'interfaces', 'possibleTypes', 'types', 'args']);

/**
 * Root fields that each make a pass over a whole table or the whole chain (a verification also writes an
 * audit entry), and the introspection roots: at most once per operation, so aliases cannot multiply them.
 */
const ONCE_PER_OPERATION = new Set([
  'auditVerification',
  'auditChain',
  'deadLetterReasons',
  'complianceReport',
  '__schema',
  '__type',
]);

/** Where a field is: its depth outside introspection, and its path inside it (undefined outside). */
interface Position {
  depth: number;
  introspection: readonly string[] | undefined;
}

/** Walks a selection set with fragments expanded (each fragment at most once per path, so cycles end). */
function walk(
  ctx: ValidationContext,
  set: SelectionSetNode | undefined,
  visit: (field: FieldNode, at: Position, multiplier: number) => number,
  at: Position,
  multiplier: number,
  seen: Set<string>,
): void {
  for (const sel of set?.selections ?? []) {
    if (sel.kind === Kind.FIELD) {
      const name = sel.name.value;
      const inside = at.introspection ?? (name === '__schema' || name === '__type' ? [] : undefined);
      const next: Position = inside
        ? { depth: at.depth, introspection: [...inside, name] }
        : { depth: at.depth + 1, introspection: undefined };
      const childMultiplier = visit(sel, next, multiplier);
      walk(ctx, sel.selectionSet, visit, next, childMultiplier, seen);
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      walk(ctx, sel.selectionSet, visit, at, multiplier, seen);
    } else if (sel.kind === Kind.FRAGMENT_SPREAD && !seen.has(sel.name.value)) {
      const frag: FragmentDefinitionNode | null | undefined = ctx.getFragment(sel.name.value);
      if (frag) walk(ctx, frag.selectionSet, visit, at, multiplier, new Set([...seen, sel.name.value]));
    }
  }
}

/** Largest page a connection serves; a `first` given as a variable is costed at it (validation does not see variables). */
const MAX_PAGE = 100;

/** The page size a field asks for (its literal `first`; the maximum for a variable), else 1, or the default 20 for connections. */
function pageSizeOf(field: FieldNode): number {
  const first = field.arguments?.find((a) => a.name.value === 'first');
  if (first?.value.kind === Kind.INT) return Math.max(1, Number(first.value.value));
  if (first?.value.kind === Kind.VARIABLE) return MAX_PAGE;
  return field.selectionSet?.selections.some((s) => s.kind === Kind.FIELD && s.name.value === 'edges') ? 20 : 1;
}

export function queryLimitRules(limits: QueryLimits = DEFAULT_QUERY_LIMITS): ValidationRule[] {
  const documentRule: ValidationRule = (ctx: ValidationContext): ASTVisitor => ({
    Document(doc) {
      const ops = doc.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
      if (ops.length > limits.maxOperations) {
        ctx.reportError(
          limitError(
            `a document may hold at most ${limits.maxOperations} operations (found ${ops.length})`,
            'maxOperations',
          ),
        );
        return false;
      }
      let aliases = 0;
      const countAliases = (set: SelectionSetNode | undefined): void => {
        for (const sel of set?.selections ?? []) {
          if (sel.kind === Kind.FIELD && sel.alias) aliases++;
          if ('selectionSet' in sel) countAliases(sel.selectionSet);
        }
      };
      for (const d of doc.definitions) if ('selectionSet' in d) countAliases(d.selectionSet);
      if (aliases > limits.maxAliases) {
        ctx.reportError(
          limitError(`a document may use at most ${limits.maxAliases} aliases (found ${aliases})`, 'maxAliases'),
        );
        return false;
      }
      for (const op of ops) {
        if (op.kind !== Kind.OPERATION_DEFINITION) continue;
        let deepest = 0;
        let deepestIntrospection = 0;
        let cycle: string | undefined;
        let cost = 0;
        const once = new Map<string, number>();
        walk(
          ctx,
          op.selectionSet,
          (field, at, multiplier) => {
            const path = at.introspection;
            const root = path ? path.length === 1 && at.depth === 0 : at.depth === 1;
            if (root && ONCE_PER_OPERATION.has(field.name.value))
              once.set(field.name.value, (once.get(field.name.value) ?? 0) + 1);
            if (path) {
              deepestIntrospection = Math.max(deepestIntrospection, path.length);
              const name = field.name.value;
              if (INTROSPECTION_EXPANDING.has(name) && path.indexOf(name) !== path.length - 1) cycle ??= path.join('.');
            } else deepest = Math.max(deepest, at.depth);
            cost += multiplier;
            return multiplier * pageSizeOf(field);
          },
          { depth: 0, introspection: undefined },
          1,
          new Set(),
        );
        const name = op.name?.value ?? 'the operation';
        const repeated = [...once].find(([, n]) => n > 1);
        if (repeated) {
          ctx.reportError(
            limitError(
              `${name} asks for ${repeated[0]} ${repeated[1]} times; it may be asked for once per operation`,
              'oncePerOperation',
            ),
          );
          return false;
        }
        if (cycle) {
          ctx.reportError(
            limitError(`${name} introspects in a cycle (${cycle}): each of fields, types, … once per path`, 'maxDepth'),
          );
          return false;
        }
        if (deepestIntrospection > INTROSPECTION_MAX_DEPTH) {
          ctx.reportError(
            limitError(
              `${name} introspects ${deepestIntrospection} levels deep; at most ${INTROSPECTION_MAX_DEPTH} are allowed`,
              'maxDepth',
            ),
          );
          return false;
        }
        if (deepest > limits.maxDepth) {
          ctx.reportError(
            limitError(`${name} is ${deepest} levels deep; at most ${limits.maxDepth} are allowed`, 'maxDepth'),
          );
          return false;
        }
        if (cost > limits.maxCost) {
          ctx.reportError(
            limitError(
              `${name} would cost about ${cost} field resolutions; at most ${limits.maxCost} are allowed (ask for smaller pages)`,
              'maxCost',
            ),
          );
          return false;
        }
      }
      return undefined;
    },
  });
  return [documentRule];
}

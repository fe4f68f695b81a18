import { z } from 'zod';

export type Env = Record<string, string | undefined>;

/** A configuration that cannot start the process; the message names every bad variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** An integer given as a decimal string, within [min, max]. */
export const intString = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `must be an integer between ${min} and ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be an integer between ${min} and ${max}`);

/**
 * Parses the variables a schema names out of `env`. Empty strings count as unset (so `PORT=` in a
 * .env file means the default). On failure throws ConfigError naming each variable and echoing its
 * value — except for `secrets`, whose values are never printed.
 */
export function parseEnv<S extends z.ZodObject>(schema: S, env: Env, label: string, secrets: readonly string[] = []): z.infer<S> {
  const relevant: Env = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') relevant[key] = value;
  }
  const parsed = schema.safeParse(relevant);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '?');
      const got = secrets.includes(name) || relevant[name] === undefined ? '' : ` (got ${JSON.stringify(relevant[name])})`;
      return `${name}: ${issue.message}${got}`;
    });
    throw new ConfigError(`invalid ${label} configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}

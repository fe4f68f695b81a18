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

/** A fraction in (0, 1] given as a decimal string (e.g. a score threshold). */
export const fractionString = () =>
  z
    .string()
    .trim()
    .regex(/^(0(\.\d+)?|1(\.0+)?)$/, 'must be a number between 0 and 1')
    .transform(Number)
    .refine((n) => n > 0, 'must be above 0');

/**
 * Parses the variables a schema names out of `env`. Empty strings count as unset (so `PORT=` in a
 * .env file means the default). On failure throws ConfigError naming each variable and echoing its
 * value — except for `secrets`, whose values are never printed.
 */
export function parseEnv<S extends z.ZodObject>(
  schema: S,
  env: Env,
  label: string,
  secrets: readonly string[] = [],
): z.infer<S> {
  const relevant: Env = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') relevant[key] = value;
  }
  const parsed = schema.safeParse(relevant);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '?');
      const got =
        secrets.includes(name) || relevant[name] === undefined ? '' : ` (got ${JSON.stringify(relevant[name])})`;
      return `${name}: ${issue.message}${got}`;
    });
    throw new ConfigError(`invalid ${label} configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** How the gateway and the CLI reach the engine over TLS: the engine's CA; and a client certificate/key for mutual TLS. */
export const engineTlsEnv = {
  STRONGROOM_ENGINE_TLS_CA_FILE: z.string().optional(),
  STRONGROOM_ENGINE_TLS_CERT_FILE: z.string().optional(),
  STRONGROOM_ENGINE_TLS_KEY_FILE: z.string().optional(),
};

/** The engine TLS files from parsed `engineTlsEnv` values (undefined: plaintext), or a ConfigError naming the mistake. */
export function engineTlsFiles(
  e: {
    STRONGROOM_ENGINE_TLS_CA_FILE?: string | undefined;
    STRONGROOM_ENGINE_TLS_CERT_FILE?: string | undefined;
    STRONGROOM_ENGINE_TLS_KEY_FILE?: string | undefined;
  },
  label: string,
): { ca: string; cert?: string; key?: string } | undefined {
  if (Boolean(e.STRONGROOM_ENGINE_TLS_CERT_FILE) !== Boolean(e.STRONGROOM_ENGINE_TLS_KEY_FILE)) {
    throw new ConfigError(
      `invalid ${label} configuration: STRONGROOM_ENGINE_TLS_CERT_FILE and STRONGROOM_ENGINE_TLS_KEY_FILE go together`,
    );
  }
  if (e.STRONGROOM_ENGINE_TLS_CERT_FILE && !e.STRONGROOM_ENGINE_TLS_CA_FILE) {
    throw new ConfigError(
      `invalid ${label} configuration: a client certificate needs STRONGROOM_ENGINE_TLS_CA_FILE (the engine is then reached over TLS)`,
    );
  }
  if (!e.STRONGROOM_ENGINE_TLS_CA_FILE) return undefined;
  return {
    ca: e.STRONGROOM_ENGINE_TLS_CA_FILE,
    ...(e.STRONGROOM_ENGINE_TLS_CERT_FILE ? { cert: e.STRONGROOM_ENGINE_TLS_CERT_FILE } : {}),
    ...(e.STRONGROOM_ENGINE_TLS_KEY_FILE ? { key: e.STRONGROOM_ENGINE_TLS_KEY_FILE } : {}),
  };
}

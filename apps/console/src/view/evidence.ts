// An alert's evidence (JSON from the engine, masked by role) as label/value pairs for people.

/** Flat label/value pairs of an evidence document, nested keys joined with a dot; values as text. */
export function evidencePairs(json: string): [string, string][] {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    return [['evidence', json]];
  }
  const out: [string, string][] = [];
  const walk = (v: unknown, at: string) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v)) walk(x, at ? `${at}.${k}` : k);
    } else out.push([at || 'evidence', Array.isArray(v) ? v.map(String).join(', ') : String(v)]);
  };
  walk(doc, '');
  return out;
}

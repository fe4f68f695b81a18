/**
 * The Node.js flags the engine process runs with: young-generation semi-spaces of 64 MB from the start (V8's
 * default starts them at 1 MB and grows them to at most 16 MB). A batch keeps its rows until it commits, so a
 * small young generation is collected every few milliseconds while most of what it holds is still alive.
 * Measured (docs/performance-tuning.md, issue 21's fifth part): with the engine allocating about 3.5 KB per
 * row, the plain pipeline ran 22 % faster with these flags (young-generation collections 4.2–4.5 → 2.0–2.2 µs
 * per row) for 10–30 MB more peak RSS; before the allocations were cut, they made no difference. 128 MB
 * measured slower than 64. Every launcher of the engine (the CLI, the test harness, the benchmarks) passes
 * these; an engine started another way should too.
 */
export const ENGINE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64', '--min-semi-space-size=64'];

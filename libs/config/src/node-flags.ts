/**
 * The Node.js flags the engine process runs with: young-generation semi-spaces of 64 MB from the start (V8's
 * default starts them at 1 MB and grows them to at most 16 MB). A batch keeps its rows until it commits, so with the default most of the
 * rows mapped since the last scavenge are still alive at it and are copied, and scavenges come every few
 * milliseconds. Measured (docs/performance-tuning.md): garbage collection 2.2–2.7 s → 1.3–1.7 s for 400,000
 * rows, the engine's CPU per row down by a fifth; 128 MB measured slower than 64 (the young generation no
 * longer fits the caches). Every launcher of the engine (the CLI, the test harness, the benchmarks) passes
 * these; an engine started another way should too.
 */
export const ENGINE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64', '--min-semi-space-size=64'];

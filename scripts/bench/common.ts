/**
 * Shared pieces of the benchmark and soak scripts, one module per responsibility:
 * report.ts (BENCH_JSON, tables), procs.ts (server and baseline processes), http.ts (JSON
 * calls, autocannon), seed.ts (a catalog through the admin API), cpu.ts (CPU time and disk
 * placement). This module re-exports them so existing imports keep working.
 */
export * from './cpu.js';
export * from './http.js';
export * from './procs.js';
export * from './report.js';
export * from './seed.js';

// The benchmark's output: number formatting, the results table and the results JSON.

import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { ROOT } from './processes.mjs';

export function fmt(n, digits) {
  return typeof n === 'number' && Number.isFinite(n) ? n.toFixed(digits) : '-';
}

export function round(n, d) {
  return typeof n === 'number' ? Math.round(n * 10 ** d) / 10 ** d : n;
}

export function table(rows) {
  const head = ['figure', 'req/s', 'p99 ms', 'ratio', 'target', 'result', 'other CPU'];
  const body = rows.map((r) => [
    r.label,
    fmt(r.rps, 0),
    fmt(r.p99, 1),
    r.ratio !== null && (r.baseline || r.key === 'n') ? `${fmt(r.ratio, 2)} x ${r.baseline ?? 'R'}` : '-',
    r.targetText,
    r.result,
    r.cpu ? `${r.cpu.other_pct}%${r.noisy ? ' NOISY' : ''}` : '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 1 || i === 2 || i === 6 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** The results as one JSON-able object: the run, the machine, the settings and every figure. */
export function resultsJson({ valid, problems, started, pgVersion, loadAtStart, settings, nonStandard, rows }) {
  return {
    valid,
    problems,
    started_at: started.toISOString(),
    finished_at: new Date().toISOString(),
    machine: { node: process.version, cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model ?? null, postgres: pgVersion, loadavg_at_start: loadAtStart },
    git_commit: gitCommit(),
    settings: { ...settings, non_standard: nonStandard, berth_roles: 'api', q_baseline_query: 'SELECT id, name, ram, disk, cpu_quota, price FROM plans ORDER BY id', q_baseline_pool: 16 },
    figures: rows.map((r) => ({
      key: r.key,
      label: r.label,
      path: r.key === 'plans' ? '/api/v1/{company_id}/plans/' : r.url,
      rps: round(r.rps, 1),
      p50_ms: r.p50,
      p99_ms: r.p99,
      max_ms: r.max,
      requests: r.total,
      non2xx: r.non2xx,
      errors: r.errors,
      timeouts: r.timeouts,
      status_codes: r.statusCodes,
      baseline: r.baseline,
      ratio: r.ratio === null ? null : round(r.ratio, 3),
      target: r.baseline ? r.targetText : null,
      pass: r.baseline ? r.pass : null,
      cpu_pct_of_one_core: r.cpu,
      noisy: r.noisy,
      rounds: r.rounds ?? null,
      settled: r.settled ?? null,
    })),
  };
}

function gitCommit() {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

import { DomainError } from '../common/errors/domain-error.js';
import type { MetricsConfig } from '../config/observability-config.js';

/** Points a series has when the caller gives no step. */
export const DEFAULT_POINTS = 360;
/** Most points one answer may have. */
export const MAX_POINTS = 11_000;
const DEFAULT_RANGE_S = 3600;
const UNIT_S: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** The query as it came (the DTO checked the formats). */
export interface MetricsQuery {
  since?: string;
  until?: string;
  step?: string;
}

/** The series to answer: `points` steps of `step` seconds from `startS`, read from `source`. */
export interface MetricsRange {
  /** Seconds since the epoch of the first point: a multiple of `step`, so series line up across requests. */
  startS: number;
  step: number;
  points: number;
  /** `samples` (full resolution) while the range is within their retention, `buckets` otherwise. */
  source: 'samples' | 'buckets';
}

/** `90`, `90s`, `5m`, `1h`, `1d` → seconds. */
export function parseStep(text: string): number {
  const match = /^(\d{1,9})([smhd]?)$/.exec(text);
  if (!match) throw DomainError.field('step', 'must be a whole number of seconds, or a duration like 30s, 5m, 1h or 1d');
  return Number(match[1]) * UNIT_S[match[2] || 's'];
}

const roundUp = (n: number, step: number) => Math.ceil(n / step) * step;

/**
 * Resolves since/until/step against what is kept: full-resolution readings come every
 * interval, so a step below it would be mostly holes; past their retention only buckets are
 * left, and a step must then be a whole number of buckets (it is rounded up to one).
 */
export function resolveRange(query: MetricsQuery, config: MetricsConfig, nowMs: number): MetricsRange {
  const untilMs = query.until !== undefined ? Date.parse(query.until) : nowMs;
  const sinceMs = query.since !== undefined ? Date.parse(query.since) : untilMs - DEFAULT_RANGE_S * 1000;
  // Left out, since is an hour before until: only a given since can be out of order.
  if (sinceMs >= untilMs) throw DomainError.field('since', 'must be before until');
  const source = sinceMs >= nowMs - config.fullRetentionSeconds * 1000 ? 'samples' : 'buckets';
  const minStep = source === 'samples' ? Math.max(1, Math.ceil(config.intervalMs / 1000)) : config.bucketSeconds;
  const rangeS = (untilMs - sinceMs) / 1000;
  let step: number;
  if (query.step === undefined) {
    step = roundUp(Math.max(minStep, Math.ceil(rangeS / DEFAULT_POINTS)), minStep);
  } else {
    step = parseStep(query.step);
    if (step < minStep) {
      throw DomainError.field(
        'step',
        source === 'samples'
          ? `must be at least ${minStep} s, the sampling interval`
          : `must be at least ${minStep} s for a range that starts more than ${config.fullRetentionSeconds} s ago: older readings are kept as ${minStep} s averages`,
      );
    }
    if (source === 'buckets') step = roundUp(step, minStep);
  }
  const startS = Math.floor(sinceMs / 1000 / step) * step;
  const points = Math.ceil((untilMs / 1000 - startS) / step);
  if (points > MAX_POINTS) {
    throw DomainError.field('step', `gives ${points} points, more than the ${MAX_POINTS} an answer may have: use a step of at least ${roundUp(Math.ceil(rangeS / (MAX_POINTS - 1)), minStep)} s or a shorter range`);
  }
  return { startS, step, points, source };
}

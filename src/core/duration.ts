import { UsageError } from './errors.js';

const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** `90`, `10s`, `15m`, `24h`, `2d`, `1h30m` → seconds. */
export function parseDurationSeconds(text: string, where: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== trimmed) {
    throw new UsageError(`${where}: "${text}" is not a duration`, { hint: 'use e.g. 30s, 15m, 24h, 2d or 1h30m' });
  }
  return parts.reduce((total, part) => total + Number(part[1]) * (UNITS[part[2] ?? 's'] ?? 1), 0);
}

export function formatDuration(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds < 60) return `${Math.round(seconds * 10) / 10}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${Math.round(seconds % 60)}s`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h${Math.round((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86400)}d${Math.round((seconds % 86400) / 3600)}h`;
}

/** How the console writes times, durations and counts. */

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return age(ms / 1000);
}

/** 75 s → "1 min 15 s"; 3700 s → "1 h 1 min". */
export function age(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

export const since = (iso: string | null | undefined, now = Date.now()): string => (iso ? `${age((now - Date.parse(iso)) / 1000)} ago` : '–');

export function clock(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace('T', ' ').replace('Z', ' UTC');
}

export const percent = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined ? '–' : `${v.toFixed(digits)}%`);
export const rate = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : `${v < 10 ? v.toFixed(1) : Math.round(v)}/s`);
export const count = (v: number): string => v.toLocaleString('en-US');

/**
 * What every bench report shares: targets with PASS/MISS, the machine and commit measured, plain
 * text tables and the JSON files in bench/results/.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface Target {
  readonly id: string;
  readonly label: string;
  /** The measured figure (a ratio, ms, MB or a count, as `unit` says), or null when it is missing. */
  readonly ratio: number | null;
  readonly unit: 'ratio' | 'ms' | 'MB' | 'count';
  readonly limit: number;
  readonly comparison: '<=' | '>=' | '<';
  readonly pass: boolean;
  readonly detail: string;
}

/** A target judged: `value` against `limit`; a missing value never passes. */
export function target(id: string, label: string, value: number | null, unit: Target['unit'], comparison: Target['comparison'], limit: number, detail: string): Target {
  return {
    id,
    label,
    ratio: value,
    unit,
    limit,
    comparison,
    pass: value !== null && (comparison === '<=' ? value <= limit : comparison === '>=' ? value >= limit : value < limit),
    detail,
  };
}

export const ratio = (value: number | null | undefined, base: number | null | undefined) =>
  value === null || value === undefined || base === null || base === undefined || !Number.isFinite(value) || !Number.isFinite(base) || base <= 0 ? null : value / base;

export interface Machine {
  node: string;
  cpus: number;
  cpuModel: string;
  memoryMb: number;
  platform: string;
}

export function machine(): Machine {
  return { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryMb: Math.round(os.totalmem() / 2 ** 20), platform: `${os.platform()} ${os.release()}` };
}

/** The commit of the measured checkout, and whether its src/ has uncommitted changes. */
export function gitState(root: string): { commit: string | null; dirty: boolean | null } {
  const commit = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' });
  const status = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: root, encoding: 'utf8' });
  return {
    commit: commit.status === 0 ? commit.stdout.trim() : null,
    dirty: status.status === 0 ? status.stdout.trim().length > 0 : null,
  };
}

/** The first line of a printed report: when, how long, on what, which commit. */
export function reportHeading(title: string, results: { startedAt: string; durationS: number; machine: Machine; serviceRoot: string; git: { commit: string | null; dirty: boolean | null } }): string[] {
  const { machine: m, git } = results;
  return [
    `${title} ${results.startedAt} (${results.durationS} s)  node ${m.node}, ${m.cpus} × ${m.cpuModel}, ${m.memoryMb} MB`,
    `${results.serviceRoot}: commit ${git.commit?.slice(0, 12) ?? '?'}${git.dirty ? ' + uncommitted changes in src/' : ''}`,
  ];
}

/** Writes `<startedAt><suffix>.json` and `latest<suffix>.json` into `dir`. */
export async function saveResults(results: { startedAt: string }, dir: string, suffix = ''): Promise<void> {
  await mkdir(dir, { recursive: true });
  const json = `${JSON.stringify(results, null, 2)}\n`;
  const stamp = results.startedAt.replace(/:/g, '-');
  await writeFile(path.join(dir, `${stamp}${suffix}.json`), json);
  await writeFile(path.join(dir, `latest${suffix}.json`), json);
}

export function shorten(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

export function mb(kb: number | null | undefined): string {
  return kb === null || kb === undefined ? 'n/a' : `${Math.round(kb / 1024)} MB`;
}

export function ms(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? 'n/a' : `${Math.round(value)} ms`;
}

export function num(value: number | null | undefined): string {
  return value === null || value === undefined ? 'n/a' : String(Math.round(value));
}

/** Figures in ms as a short list: whole ms, comma-separated. */
export function msList(values: readonly number[]): string {
  return values.map((value) => (Number.isFinite(value) ? String(Math.round(value)) : 'n/a')).join(', ');
}

/**
 * Each round's ratio of `ours` to `reference` (requests per second of the same round), as a short
 * list: the spread a combined ratio hides. Empty when either is missing or they differ in length.
 */
export function roundRatios(ours: readonly number[] | undefined, reference: readonly number[] | undefined): string {
  if (!ours || !reference || ours.length === 0 || ours.length !== reference.length) return '';
  return ours.map((value, round) => (reference[round]! > 0 ? (value / reference[round]!).toFixed(2) : 'n/a')).join(', ');
}

export const fixed = (value: number | null | undefined, digits = 0) => (value === null || value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits));

/** Numbers right-aligned; the first column and text columns (`build`, `step`, `note`, `samples`, `figures`) left-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const left = (column: number) => column === 0 || ['build', 'step', 'note', 'samples', 'figures'].includes(headers[column]!);
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (left(column) ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

/** The Targets table: the figure (ratio to three places, ms, MB or a count), its limit, PASS or MISS. */
export function formatTargets(targets: readonly Target[]): string {
  const value = (target: Target) => (target.unit === 'ratio' ? fixed(target.ratio, 3) : `${fixed(target.ratio)} ${target.unit === 'count' ? '' : target.unit}`.trim());
  const limit = (target: Target) => `${target.comparison} ${target.limit}${target.unit === 'ratio' || target.unit === 'count' ? '' : ` ${target.unit}`}`;
  return table(
    ['target', 'value', 'limit', 'result', 'figures'],
    targets.map((target) => [target.label, value(target), limit(target), target.pass ? 'PASS' : target.ratio === null ? 'MISS (no figure)' : 'MISS', target.detail]),
  );
}

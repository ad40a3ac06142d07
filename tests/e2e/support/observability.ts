// Reads deploy/observability (dashboards, alert rules) and Prometheus text, for the tests that
// hold them to what the services really serve.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const observabilityDir = fileURLToPath(
  new URL('../../../deploy/observability/', import.meta.url),
);

/** Every PromQL expression of the Grafana dashboards, with the dashboard it comes from. */
export function dashboardQueries(): Array<{ where: string; expr: string }> {
  const dir = join(observabilityDir, 'dashboards');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((file) => {
      const board = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
        panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
        templating: { list: Array<{ name: string; query?: { query?: string } | string }> };
      };
      const panels = board.panels.flatMap((panel) =>
        (panel.targets ?? []).map((t) => ({ where: `${file}: ${panel.title}`, expr: t.expr })),
      );
      const variables = board.templating.list.flatMap((v) => {
        const query = typeof v.query === 'string' ? v.query : v.query?.query;
        const inner = query && /label_values\(([^,]+),/.exec(query)?.[1];
        return inner ? [{ where: `${file}: $${v.name}`, expr: inner }] : [];
      });
      return [...panels, ...variables];
    });
}

/** The `expr` of every rule in alerts.yml (inline or `|` block), with the alert's name. */
export function alertQueries(): Array<{ where: string; expr: string }> {
  const lines = readFileSync(join(observabilityDir, 'alerts.yml'), 'utf8').split('\n');
  const found: Array<{ where: string; expr: string }> = [];
  let alert = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const name = /^\s*- alert:\s*(\S+)/.exec(line);
    if (name) alert = name[1]!;
    const expr = /^(\s*)expr:\s*(.*)$/.exec(line);
    if (!expr) continue;
    if (expr[2] !== '|') {
      found.push({ where: `alerts.yml: ${alert}`, expr: expr[2]! });
      continue;
    }
    const indent = expr[1]!.length;
    const block: string[] = [];
    while (
      i + 1 < lines.length &&
      (lines[i + 1]!.trim() === '' || lines[i + 1]!.search(/\S/) > indent)
    )
      block.push(lines[++i]!.trim());
    found.push({ where: `alerts.yml: ${alert}`, expr: block.join(' ') });
  }
  return found;
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/** Metric names a PromQL expression reads (not functions, labels, keywords or durations). */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names: string[] = [];
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = stripped.slice(match.index + match[0].length);
    if (/^\s*\(/.test(after)) continue; // a function or an aggregation
    if (KEYWORDS.has(match[0].toLowerCase())) continue;
    names.push(match[0]);
  }
  return names;
}

/** `name → type` of every metric a Prometheus text answer declares (`# TYPE` lines). */
export function declaredMetrics(scrape: string): Map<string, string> {
  const declared = new Map<string, string>();
  for (const match of scrape.matchAll(/^# TYPE (\S+) (\S+)$/gm)) declared.set(match[1]!, match[2]!);
  return declared;
}

/** Whether `name` is served: itself, or a histogram's or summary's _bucket/_sum/_count series. */
export function isServed(name: string, declared: Map<string, string>): boolean {
  if (name === 'up' || declared.has(name)) return true;
  const series = /^(.*)_(bucket|sum|count)$/.exec(name);
  const type = series ? declared.get(series[1]!) : undefined;
  return type === 'histogram' || (type === 'summary' && series![2] !== 'bucket');
}

/** The path of a Prometheus binary, or undefined when it is not installed. */
export function which(binary: string): string | undefined {
  try {
    return (
      execFileSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

const inCi = process.env.CI === 'true' || process.env.CI === '1';

/**
 * `skip` for tests that need Debian's `prometheus` package (prometheus, promtool): skipped with
 * the command to install it locally, never in CI, where a missing binary must fail the test.
 */
export function needsPrometheus(): string | false {
  if (which('prometheus') && which('promtool')) return false;
  if (inCi) return false;
  return 'Prometheus is not installed (apt-get install -y prometheus)';
}

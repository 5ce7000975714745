import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import type { TestContext } from 'node:test';

/**
 * Prometheus's own Python client (Debian's python3-prometheus-client, which .ci/run installs) as
 * an independent reader of the text format /metrics serves: its parser rejects a malformed line,
 * a bad label or value, and names each family with its type and samples.
 */
const PYTHON = '/usr/bin/python3';

const PARSE = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
families = []
for family in text_string_to_metric_families(sys.stdin.read()):
    families.append({"name": family.name, "type": family.type, "help": family.documentation,
                     "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in family.samples]})
print(json.dumps(families))
`;

export interface MetricFamily {
  readonly name: string;
  readonly type: string;
  readonly help: string;
  readonly samples: readonly { readonly name: string; readonly labels: Readonly<Record<string, string>>; readonly value: number }[];
}

let available: Promise<string | undefined> | undefined;

/** True when the parser must be skipped (outside CI); in CI a missing parser fails the test. */
export async function missingPrometheusParser(t: TestContext): Promise<boolean> {
  available ??= new Promise((resolve) => {
    execFile(PYTHON, ['-c', 'import prometheus_client.parser'], { timeout: 30_000 }, (error) => resolve(error ? `${PYTHON} lacks python3-prometheus-client (.ci/run installs it)` : undefined));
  });
  const reason = await available;
  if (reason === undefined) return false;
  if (process.env.CI === 'true') assert.fail(`${reason} (CI must read /metrics with it)`);
  t.skip(reason);
  return true;
}

/** The metric families of `text` as Prometheus's Python client reads them; rejects what it cannot parse. */
export function parsePrometheusText(text: string): Promise<MetricFamily[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-c', PARSE], { stdio: ['pipe', 'pipe', 'pipe'], timeout: 30_000 });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as MetricFamily[]) : reject(new Error(`prometheus_client could not parse the text (exit ${code}): ${err.slice(-2000)}`))));
    child.stdin.end(text);
  });
}

/** The value of the one sample of `name` whose labels include `labels`; undefined when there is none. */
export function sampleValue(families: readonly MetricFamily[], name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  for (const family of families) {
    for (const sample of family.samples) {
      if (sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value)) return sample.value;
    }
  }
  return undefined;
}

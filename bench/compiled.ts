/**
 * The measured programs run as plain JavaScript, as `npm start` and `npm run build:feeds` run the
 * service (from tsc's output), not under tsx: tsx's loader would add its start-up, and a loader in
 * every worker thread, to our figures and to the floors'. Before the first child starts, the
 * TypeScript of the service's src/ and of the bench's own child programs is transpiled into
 * COMPILED_DIR beside them (git-ignored), file by file, with the compiler options of tsconfig.json.
 * Node resolves their packages from the same node_modules as the sources.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export const COMPILED_DIR = '.bench-build';

/** The bench files that run as child processes (and what they import). */
const BENCH_CHILD_FILES = ['baseline.ts', 'build-stages.ts', 'floor-express.ts', 'floor-http.ts', 'floor-responses.ts', 'probe-rss.ts', 'probe-tag.ts'];

const compiled = new Set<string>();

/** Where `script` (a .ts path relative to `root`) is once compiled. */
export function compiledPath(root: string, script: string): string {
  return path.join(root, COMPILED_DIR, script.replace(/\.ts$/, '.js'));
}

/**
 * Transpiles `root`'s src/ (and, for the bench's own repository, its child programs) into
 * `root`/COMPILED_DIR, once per process. Synchronous and quick (no type check: `npm test` does
 * that). A source file removed since stays compiled there, unused.
 */
export function ensureCompiled(root: string, benchRoot: string): void {
  const key = `${root}\n${benchRoot}`;
  if (compiled.has(key)) return;
  const options = compilerOptions(root);
  const sources = readdirSync(path.join(root, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
    .map((name) => ({ root, file: path.join('src', name) }));
  const benchFiles = BENCH_CHILD_FILES.map((name) => ({ root: benchRoot, file: path.join('bench', name) }));
  for (const source of [...sources, ...benchFiles]) {
    const text = readFileSync(path.join(source.root, source.file), 'utf8');
    const { outputText } = ts.transpileModule(text, { compilerOptions: options, fileName: source.file });
    const target = compiledPath(source.root, source.file);
    // Written only when different, by rename: another bench process may be running these files.
    if (existsSync(target) && readFileSync(target, 'utf8') === outputText) continue;
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(`${target}.${process.pid}.tmp`, outputText);
    renameSync(`${target}.${process.pid}.tmp`, target);
  }
  compiled.add(key);
}

/** tsconfig.json's compiler options, emitting ES modules. */
function compilerOptions(root: string): ts.CompilerOptions {
  const configFile = ts.readConfigFile(path.join(root, 'tsconfig.json'), (file) => ts.sys.readFile(file));
  if (configFile.error) throw new Error(`${root}/tsconfig.json: ${ts.flattenDiagnosticMessageText(configFile.error.messageText, '\n')}`);
  const { options } = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root);
  return { ...options, noEmit: false, sourceMap: false, declaration: false, module: ts.ModuleKind.ESNext };
}

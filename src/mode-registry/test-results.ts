/**
 * Per-test results out of what test runners write, so `no-prior-regression` can compare single
 * tests between the run's start and now: node --test events (our reporter), Jest/Vitest JSON,
 * Mocha JSON, JUnit XML (pytest), unittest's verbose lines, `go test -json`, and cargo test's
 * `test … ok` lines. Ids are stable across checkouts: files are relative, never absolute. Pure.
 */
export type TestStatus = 'pass' | 'fail' | 'skip';
export type TestResults = Map<string, TestStatus>;

/** Records the same test id twice (e.g. one name in two suites of a runner without files) apart. */
function put(out: TestResults, id: string, status: TestStatus): void {
  let key = id;
  for (let k = 2; out.has(key); k++) key = `${id} #${k}`;
  out.set(key, status);
}

const rel = (file: string, root: string) => (root && file.startsWith(`${root}/`) ? file.slice(root.length + 1) : file);

/** Lines of our node --test reporter: {type, name, nesting, file, skip, todo, suite}. Children come before their parent. */
export function parseNodeTestEvents(text: string, root: string): TestResults {
  type Ev = { type: string; name: string; nesting: number; file?: string; skip?: boolean; todo?: boolean; suite?: boolean };
  const out: TestResults = new Map();
  const pending: Array<{ ev: Ev; path: string[] }> = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let ev: Ev;
    try {
      ev = JSON.parse(line) as Ev;
    } catch {
      continue;
    }
    // Every pending deeper event belongs to this one: prefix its name.
    for (const p of pending) if (p.ev.nesting > ev.nesting && p.path.length === p.ev.nesting - ev.nesting - 1) p.path.unshift(ev.name);
    pending.push({ ev, path: [] });
    if (ev.nesting === 0) {
      for (const p of pending) {
        if (p.ev.suite) continue;
        const id = `${rel(p.ev.file ?? '', root)} > ${[...p.path, p.ev.name].join(' > ')}`;
        put(out, id, p.ev.skip || p.ev.todo ? 'skip' : p.ev.type === 'test:fail' ? 'fail' : 'pass');
      }
      pending.length = 0;
    }
  }
  return out;
}

/** Jest's `--json` and Vitest's `--reporter=json` (the same shape). */
export function parseJestJson(text: string, root: string): TestResults {
  const out: TestResults = new Map();
  const doc = JSON.parse(text) as { testResults?: Array<{ name?: string; message?: string; status?: string; assertionResults?: Array<{ fullName?: string; title?: string; status?: string }> }> };
  for (const file of doc.testResults ?? []) {
    const name = rel(file.name ?? '', root);
    const asserts = file.assertionResults ?? [];
    // A test file that failed to load has no assertions: it counts as one failing test.
    if (asserts.length === 0 && file.status === 'failed') put(out, `${name} > (file failed to run)`, 'fail');
    for (const a of asserts) {
      const status = a.status === 'passed' ? 'pass' : a.status === 'failed' ? 'fail' : 'skip';
      put(out, `${name} > ${a.fullName ?? a.title ?? '?'}`, status);
    }
  }
  return out;
}

/** Mocha's `--reporter json`: {passes, failures, pending} with fullTitle and file. */
export function parseMochaJson(text: string, root: string): TestResults {
  const start = text.indexOf('{');
  const doc = JSON.parse(start >= 0 ? text.slice(start) : text) as Record<string, Array<{ fullTitle?: string; title?: string; file?: string }>>;
  const out: TestResults = new Map();
  const add = (list: Array<{ fullTitle?: string; title?: string; file?: string }> | undefined, status: TestStatus) => {
    for (const t of list ?? []) put(out, `${rel(t.file ?? '', root)} > ${t.fullTitle ?? t.title ?? '?'}`, status);
  };
  add(doc.passes, 'pass');
  add(doc.failures, 'fail');
  add(doc.pending, 'skip');
  return out;
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const unescapeXml = (s: string) => s.replace(/&(#x?[0-9a-fA-F]+|\w+);/g, (m, e: string) => (e.startsWith('#x') ? String.fromCodePoint(parseInt(e.slice(2), 16)) : e.startsWith('#') ? String.fromCodePoint(Number(e.slice(1))) : (XML_ENTITIES[e] ?? m)));

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)')`).exec(tag);
  return m ? unescapeXml(m[2] ?? m[3] ?? '') : undefined;
}

/** JUnit XML (pytest --junitxml): a <testcase> with <failure>/<error> fails, with <skipped> is skipped. */
export function parseJunitXml(text: string): TestResults {
  const out: TestResults = new Map();
  const re = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const m of text.matchAll(re)) {
    const tag = m[1] ?? '';
    const body = m[3] ?? '';
    const classname = attr(tag, 'classname');
    const name = attr(tag, 'name') ?? '?';
    const status: TestStatus = /<(failure|error)\b/.test(body) ? 'fail' : /<skipped\b/.test(body) ? 'skip' : 'pass';
    put(out, classname ? `${classname}::${name}` : name, status);
  }
  return out;
}

/** `python3 -m unittest -v`: `test_x (pkg.mod.Class.test_x) ... ok|FAIL|ERROR|skipped …`. */
export function parseUnittestVerbose(text: string): TestResults {
  const out: TestResults = new Map();
  for (const m of text.matchAll(/^(\w+) \(([\w.]+)\)(?:\n.*?)?\s\.\.\.\s(ok|FAIL|ERROR|skipped|expected failure|unexpected success)\b/gm)) {
    const word = m[3]!;
    put(out, m[2]!.endsWith(`.${m[1]}`) ? m[2]! : `${m[2]}.${m[1]}`, word === 'ok' || word === 'expected failure' ? 'pass' : word === 'skipped' ? 'skip' : 'fail');
  }
  return out;
}

/** `go test -json ./...`: one event per line; a package that fails without a test (build error) is one failing entry. */
export function parseGoTestJson(text: string): TestResults {
  const out: TestResults = new Map();
  const pkgFailed = new Set<string>();
  const pkgWithTests = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let ev: { Action?: string; Package?: string; Test?: string };
    try {
      ev = JSON.parse(line) as typeof ev;
    } catch {
      continue;
    }
    if (!ev.Package || !ev.Action) continue;
    if (ev.Test) {
      if (ev.Action === 'pass' || ev.Action === 'fail' || ev.Action === 'skip') {
        out.set(`${ev.Package}.${ev.Test}`, ev.Action);
        pkgWithTests.add(ev.Package);
      }
    } else if (ev.Action === 'fail') pkgFailed.add(ev.Package);
  }
  for (const p of pkgFailed) if (!pkgWithTests.has(p)) out.set(`${p} (build)`, 'fail');
  return out;
}

/** cargo test's plain output: `Running <target> (...)` / `Doc-tests <crate>` then `test <path> ... ok|FAILED|ignored`. */
export function parseCargoTest(text: string): TestResults {
  const out: TestResults = new Map();
  let target = '';
  for (const line of text.split('\n')) {
    const running = /^\s*Running (?:unittests )?(\S+)/.exec(line);
    if (running) {
      target = running[1]!;
      continue;
    }
    const doc = /^\s*Doc-tests (\S+)/.exec(line);
    if (doc) {
      target = `doc:${doc[1]}`;
      continue;
    }
    const t = /^test (.+?) \.\.\. (ok|FAILED|ignored)\b/.exec(line);
    if (t) put(out, `${target}::${t[1]}`, t[2] === 'ok' ? 'pass' : t[2] === 'FAILED' ? 'fail' : 'skip');
  }
  return out;
}

export function failing(results: TestResults): Set<string> {
  return new Set([...results].filter(([, s]) => s === 'fail').map(([id]) => id));
}

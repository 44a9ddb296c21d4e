/** The per-test result parsers, on output captured from the real runners. */
import { describe, expect, test } from 'bun:test';
import { failing, parseCargoTest, parseGoTestJson, parseJestJson, parseJunitXml, parseMochaJson, parseNodeTestEvents, parseUnittestVerbose } from '../../../src/mode-registry/test-results.ts';

const entries = (m: Map<string, string>) => Object.fromEntries(m);

describe('test result parsers', () => {
  test('node --test events: nested names, files relative to the checkout, suites left out, skips kept apart', () => {
    const lines = [
      { type: 'test:pass', name: 'adds', nesting: 0, file: '/co/test/a.test.js' },
      { type: 'test:fail', name: 'inner fails', nesting: 1, file: '/co/test/a.test.js' },
      { type: 'test:pass', name: 'deep', nesting: 2, file: '/co/test/a.test.js' },
      { type: 'test:pass', name: 'inner ok', nesting: 1, file: '/co/test/a.test.js' },
      { type: 'test:pass', name: 'group', nesting: 0, file: '/co/test/a.test.js', suite: true },
      { type: 'test:pass', name: 'adds', nesting: 0, file: '/co/test/b.test.js', skip: true },
    ];
    // "deep" is nested in "inner ok" (children are reported before their parent).
    const r = parseNodeTestEvents(lines.map((l) => JSON.stringify(l)).join('\n'), '/co');
    expect(entries(r)).toEqual({
      'test/a.test.js > adds': 'pass',
      'test/a.test.js > group > inner fails': 'fail',
      'test/a.test.js > group > inner ok > deep': 'pass',
      'test/a.test.js > group > inner ok': 'pass',
      'test/b.test.js > adds': 'skip',
    });
  });

  test('pytest JUnit XML: failures and errors fail, skipped is skipped, entities decoded', () => {
    const xml = `<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="0" failures="1" skipped="1" tests="3">
<testcase classname="tests.test_calc" name="test_add_ok" time="0.001" />
<testcase classname="tests.test_calc" name="test_div[a&amp;b]" time="0.001"><failure message="ZeroDivisionError">trace</failure></testcase>
<testcase classname="tests.test_calc" name="test_later" time="0.000"><skipped type="pytest.skip" message="later">skip</skipped></testcase>
<testcase classname="tests.test_io" name="test_open" time="0.1"><error message="fixture">boom</error></testcase>
</testsuite></testsuites>`;
    const r = parseJunitXml(xml);
    expect(entries(r)).toEqual({ 'tests.test_calc::test_add_ok': 'pass', 'tests.test_calc::test_div[a&b]': 'fail', 'tests.test_calc::test_later': 'skip', 'tests.test_io::test_open': 'fail' });
    expect([...failing(r)]).toEqual(['tests.test_calc::test_div[a&b]', 'tests.test_io::test_open']);
  });

  test('unittest -v lines (Python 3.11)', () => {
    const out = "test_bad (test_u.T.test_bad) ... FAIL\ntest_ok (test_u.T.test_ok) ... ok\ntest_skip (test_u.T.test_skip) ... skipped 'later'\n";
    expect(entries(parseUnittestVerbose(out))).toEqual({ 'test_u.T.test_bad': 'fail', 'test_u.T.test_ok': 'pass', 'test_u.T.test_skip': 'skip' });
  });

  test('go test -json: per test, and a package that fails to build is one failing entry', () => {
    const out = [
      '{"Action":"run","Package":"example.com/gt","Test":"TestAddOk"}',
      '{"Action":"pass","Package":"example.com/gt","Test":"TestAddOk","Elapsed":0}',
      '{"Action":"fail","Package":"example.com/gt","Test":"TestAddFails","Elapsed":0}',
      '{"Action":"skip","Package":"example.com/gt","Test":"TestSkipped","Elapsed":0}',
      '{"Action":"fail","Package":"example.com/gt","Elapsed":0.018}',
      '{"Action":"fail","Package":"example.com/broken","Elapsed":0}',
    ].join('\n');
    expect(entries(parseGoTestJson(out))).toEqual({ 'example.com/gt.TestAddOk': 'pass', 'example.com/gt.TestAddFails': 'fail', 'example.com/gt.TestSkipped': 'skip', 'example.com/broken (build)': 'fail' });
  });

  test('cargo test (stderr merged): each test under its target', () => {
    const out = `     Running unittests src/lib.rs (target/debug/deps/rt-2b40)
test tests::add_ok ... ok
test tests::slow ... ignored
test tests::add_fails ... FAILED
test result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.71s
     Running tests/it.rs (target/debug/deps/it-7b62)
test integration_ok ... ok
   Doc-tests rt
test src/lib.rs - add (line 3) ... ok
`;
    expect(entries(parseCargoTest(out))).toEqual({
      'src/lib.rs::tests::add_ok': 'pass',
      'src/lib.rs::tests::slow': 'skip',
      'src/lib.rs::tests::add_fails': 'fail',
      'tests/it.rs::integration_ok': 'pass',
      'doc:rt::src/lib.rs - add (line 3)': 'pass',
    });
  });

  test('jest/vitest and mocha JSON; a test file that failed to load counts as a failing test', () => {
    const jest = { testResults: [{ name: '/co/a.test.js', status: 'failed', assertionResults: [{ fullName: 'math adds', status: 'passed' }, { fullName: 'math divides', status: 'failed' }, { fullName: 'math later', status: 'pending' }] }, { name: '/co/b.test.js', status: 'failed', assertionResults: [] }] };
    expect(entries(parseJestJson(JSON.stringify(jest), '/co'))).toEqual({ 'a.test.js > math adds': 'pass', 'a.test.js > math divides': 'fail', 'a.test.js > math later': 'skip', 'b.test.js > (file failed to run)': 'fail' });
    const mocha = { passes: [{ fullTitle: 'x ok', file: '/co/t.js' }], failures: [{ fullTitle: 'x bad', file: '/co/t.js' }], pending: [] };
    expect(entries(parseMochaJson(`noise before\n${JSON.stringify(mocha)}`, '/co'))).toEqual({ 't.js > x ok': 'pass', 't.js > x bad': 'fail' });
  });
});

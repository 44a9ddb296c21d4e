/** The rule that keeps an old run's results as a branch when the user starts over (sandbox/keep-previous-results.ts). */
import { describe, expect, test } from 'bun:test';
import { planKeep } from '../../../sandbox/keep-previous-results.ts';

const published = { branch: 'peers/app', sha: 'a'.repeat(40) };
const none = () => false;

describe('planKeep', () => {
  test('a branch peers wrote, with work outside HEAD, is kept as <branch>-previous', () => {
    expect(planKeep({ published, current: published.sha, inHead: false, taken: none })).toEqual({ kind: 'keep', branch: 'peers/app-previous', sha: published.sha });
  });
  test('taken names are skipped: -previous-2, -previous-3', () => {
    const taken = new Set(['peers/app-previous', 'peers/app-previous-2']);
    expect(planKeep({ published, current: published.sha, inHead: false, taken: (b) => taken.has(b) })).toMatchObject({ branch: 'peers/app-previous-3' });
  });
  test('moved, deleted, merged: nothing to keep', () => {
    expect(planKeep({ published, current: 'b'.repeat(40), inHead: false, taken: none })).toEqual({ kind: 'none', why: 'moved' });
    expect(planKeep({ published, current: null, inHead: false, taken: none })).toEqual({ kind: 'none', why: 'deleted' });
    expect(planKeep({ published, current: published.sha, inHead: true, taken: none })).toEqual({ kind: 'none', why: 'in-head' });
  });
  test('every name taken: none, and the message falls back to the command to keep them', () => {
    expect(planKeep({ published, current: published.sha, inHead: false, taken: () => true })).toEqual({ kind: 'none', why: 'no-free-name' });
  });
});

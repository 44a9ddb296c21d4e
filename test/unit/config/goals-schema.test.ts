import { describe, expect, test } from 'bun:test';
import { GoalsSchema, hardGoals, softGoals } from '../../../src/config/goals-schema.ts';

const hard = { id: 'tests-pass', type: 'hard', cmd: 'npm test', pass_when: 'exit_code == 0' };
const soft = { id: 'review', type: 'soft', prompt: 'Review it.', reviewer: 'other' };

function issues(goals: unknown[]): { path: string; message: string }[] {
  const r = GoalsSchema.safeParse({ goals });
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('goals schema', () => {
  test('hard and soft goals get their defaults and split by type', () => {
    const file = GoalsSchema.parse({ goals: [hard, soft] });
    expect(hardGoals(file)).toEqual([{ id: 'tests-pass', type: 'hard', cmd: 'npm test', pass_when: 'exit_code == 0', cacheable: false, expensive: false, retry_on_fail: 0 }]);
    expect(softGoals(file)).toEqual([{ id: 'review', type: 'soft', prompt: 'Review it.', reviewer: 'other', consensus_needed: 2 }]);
  });

  test('an empty file means no goals', () => {
    expect(GoalsSchema.parse({}).goals).toEqual([]);
  });

  test('duplicate ids point at the second occurrence', () => {
    expect(issues([hard, { ...soft, id: 'tests-pass' }])).toEqual([{ path: 'goals.1.id', message: "duplicate goal id 'tests-pass'; goal ids must be unique" }]);
  });

  test('retry_on_fail accepts 0..5 only, integers only', () => {
    expect(issues([{ ...hard, retry_on_fail: 5 }])).toEqual([]);
    expect(issues([{ ...hard, retry_on_fail: 6 }])[0]!.path).toBe('goals.0.retry_on_fail');
    expect(issues([{ ...hard, retry_on_fail: -1 }])[0]!.path).toBe('goals.0.retry_on_fail');
    expect(issues([{ ...hard, retry_on_fail: true }])[0]!.path).toBe('goals.0.retry_on_fail');
  });

  test('quorum: N/M with 0 < N <= M, required by reviewer quorum', () => {
    expect(issues([{ ...soft, reviewer: 'quorum', quorum: ' 2 / 3 ' }])).toEqual([]);
    expect(issues([{ ...soft, reviewer: 'quorum', quorum: '3/3' }])).toEqual([]);
    expect(issues([{ ...soft, quorum: '0/3' }])[0]!.message).toContain('0 < N <= M');
    expect(issues([{ ...soft, quorum: '4/3' }])[0]!.message).toContain('0 < N <= M');
    expect(issues([{ ...soft, quorum: 'two of three' }])[0]!.message).toContain('N/M');
    expect(issues([{ ...soft, reviewer: 'quorum' }])).toEqual([{ path: 'goals.0.reviewer', message: 'reviewer: quorum needs a quorum: "N/M" field' }]);
  });

  test('pass_when is compiled at load: a syntax error is an issue carrying its offset', () => {
    const r = GoalsSchema.safeParse({ goals: [{ ...hard, pass_when: 'exit_code = 0' }] });
    expect(r.success).toBe(false);
    const issue = r.error!.issues[0]!;
    expect(issue.path).toEqual(['goals', 0, 'pass_when']);
    expect(issue.message).toContain('pass_when does not parse');
    expect((issue as { params?: { passWhenOffset?: number } }).params?.passWhenOffset).toBe(10);
  });

  test('type-specific required fields and unknown keys', () => {
    expect(issues([{ id: 'x', type: 'hard', cmd: 'true' }])[0]!.path).toBe('goals.0.pass_when');
    expect(issues([{ id: 'x', type: 'soft', prompt: 'p' }])[0]!.path).toBe('goals.0.reviewer');
    expect(issues([{ ...hard, prompt: 'not for hard goals' }])[0]!.path).toBe('goals.0');
    expect(issues([{ ...hard, type: 'medium' }])[0]!.path).toBe('goals.0.type');
    expect(issues([{ ...hard, cmd: '   ' }])[0]!.path).toBe('goals.0.cmd');
    expect(issues([{ ...hard, id: 'has space' }])[0]!.path).toBe('goals.0.id');
  });
});

import { afterEach, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { armNotifications, claimEvent, isClaimed, readArmed, recordSent, sentNotifications } from '../../../src/notify/notify-store.ts';
import { NotifySchema } from '../../../src/config/notify-schema.ts';

let root: string | undefined;
afterEach(() => root && rmSync(root, { recursive: true, force: true }));

test('an event is claimed by one host process only, and its outcome is recorded', () => {
  root = mkdtempSync(join(tmpdir(), 'peers-notify-store-'));
  const stateDir = join(root, 'state');
  expect(claimEvent(stateDir, 'exit:3:t', { event: 'complete' })).toBe(true);
  expect(claimEvent(stateDir, 'exit:3:t', { event: 'complete' })).toBe(false);
  expect(isClaimed(stateDir, 'exit:3:t')).toBe(true);
  expect(claimEvent(stateDir, 'exit:4:t', { event: 'complete' })).toBe(true);
  recordSent(stateDir, 'exit:3:t', {}, [{ channel: 'webhook', ok: false, detail: 'http://127.0.0.1:1 answered 500' }]);
  expect(sentNotifications(stateDir).map((r) => [r.id, r.state]).sort()).toEqual([
    ['exit:3:t', 'failed'],
    ['exit:4:t', 'sending'],
  ]);
});

test('arming without notify settings disarms the previous run; a damaged armed file is an error, not silence', () => {
  root = mkdtempSync(join(tmpdir(), 'peers-notify-store-'));
  const stateDir = join(root, 'state');
  armNotifications(stateDir, { name: 'app', path: '/src/app' }, NotifySchema.parse({ webhook: 'https://hooks.example/x' }));
  expect(readArmed(stateDir)?.settings.webhook).toBe('https://hooks.example/x');
  armNotifications(stateDir, { name: 'app', path: '/src/app' }, undefined);
  expect(readArmed(stateDir)).toBeNull();
  armNotifications(stateDir, { name: 'app', path: '/src/app' }, NotifySchema.parse({ webhook: 'https://hooks.example/x' }));
  writeFileSync(join(`${stateDir}.notify`, 'armed.json'), '{"schema_version": 1, "settings": {"command": "rm -rf ~"}}');
  expect(() => readArmed(stateDir)).toThrow();
});

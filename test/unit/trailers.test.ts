import { describe, expect, test } from 'bun:test';
import { parseTrailers } from '../../src/git/trailers.ts';

describe('parseTrailers', () => {
  test('reads the last paragraph as trailers, last value wins', () => {
    const t = parseTrailers('Fix parser\n\n## Self-Review\nall good\n\nPeer: claude\nPeer-Status: handoff\nPeer: codex\n');
    expect(t.get('Peer')).toBe('codex');
    expect(t.all('Peer')).toEqual(['claude', 'codex']);
    expect(t.get('Peer-Status')).toBe('handoff');
  });

  test('a prose line in the last paragraph ends the block', () => {
    const t = parseTrailers('Subject\n\nPeer: claude\nthis is prose\nSelf-Review: pass');
    expect(t.get('Self-Review')).toBe('pass');
    expect(t.get('Peer')).toBeUndefined();
  });

  test('URL-looking lines are not trailers', () => {
    const t = parseTrailers('Subject\n\nhttps://example.com/x\nPeer: a');
    expect(t.get('Peer')).toBe('a');
    expect(t.entries.length).toBe(1);
  });

  test('cherry-pick notes are skipped; keys are case-sensitive', () => {
    const t = parseTrailers('S\n\npeer: x\nPeer: y\n(cherry picked from commit abcdef1)');
    expect(t.get('Peer')).toBe('y');
    expect(t.get('peer')).toBe('x');
  });

  test('a one-line subject that looks like a trailer is not one', () => {
    expect(parseTrailers('Fix: the bug').entries).toEqual([]);
  });
});

describe('parseTrailers: prose that looks like a trailer', () => {
  test('a URL scheme as the key ends the block, with or without //', () => {
    for (const scheme of ['http', 'https', 'ftp', 'ftps', 'ssh', 'file', 'ws', 'wss', 'HTTPS']) {
      const t = parseTrailers(`Subject\n\nPeer: a\n${scheme}: example.com/x\nPeer-Status: handoff`);
      expect({ scheme, peer: t.get('Peer'), status: t.get('Peer-Status') }).toEqual({ scheme, peer: undefined, status: 'handoff' });
    }
  });

  test('a value starting with // ends the block; one that only ends with // is a value', () => {
    expect(parseTrailers('Subject\n\nPeer: a\nLink: //cdn.example.com/x\nPeer-Status: handoff').get('Peer')).toBeUndefined();
    expect(parseTrailers('Subject\n\nPeer: a\nNote: path//\nPeer-Status: handoff').get('Peer')).toBe('a');
  });

  test('CRLF line endings are read like LF', () => {
    const t = parseTrailers('Subject\r\n\r\nPeer: claude\r\nPeer-Status: handoff\r\n');
    expect(t.entries).toEqual([
      ['Peer', 'claude'],
      ['Peer-Status', 'handoff'],
    ]);
  });
});

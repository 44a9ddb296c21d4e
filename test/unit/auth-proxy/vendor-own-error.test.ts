/**
 * Which 5xx replies are the vendor's own quick refusal to serve (unbilled) and which may come after
 * the backend billed (metered at the reservation): auth-proxy/vendor-own-error.ts.
 */
import { describe, expect, test } from 'bun:test';
import { isVendorOwnError, QUICK_ERROR_MS } from '../../../auth-proxy/vendor-own-error.ts';

const anthropic = { vendor: 'anthropic' as const, firstParty: true, status: 500, headers: { 'request-id': 'req_011CSHoEeqs5C35K2UUqR7Fy' }, body: '{"type":"error","error":{"type":"api_error","message":"Internal server error"}}', ms: 300 };
const openai = { vendor: 'openai' as const, firstParty: true, status: 500, headers: { 'x-request-id': 'req_7f3a9c0e2b1d4e5f' }, body: '{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}', ms: 300 };

describe("the vendor's own quick 5xx", () => {
  test('Anthropic and OpenAI error envelopes with their request id, within seconds: unbilled', () => {
    expect(isVendorOwnError(anthropic)).toBe(true);
    expect(isVendorOwnError({ ...anthropic, status: 503, body: '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}' })).toBe(true);
    expect(isVendorOwnError(openai)).toBe(true);
  });

  test('anything else may have been billed: a router, no request id, a gateway page, another error type, a slow reply, a 4xx', () => {
    expect(isVendorOwnError({ ...anthropic, firstParty: false })).toBe(false);
    expect(isVendorOwnError({ ...anthropic, headers: {} })).toBe(false);
    expect(isVendorOwnError({ ...anthropic, headers: { 'request-id': ['a', 'b'] } })).toBe(false);
    expect(isVendorOwnError({ ...anthropic, body: '<html><body>Error 524: A timeout occurred</body></html>' })).toBe(false);
    expect(isVendorOwnError({ ...anthropic, body: '{"error":{"type":"api_error"}}' })).toBe(false);
    expect(isVendorOwnError({ ...anthropic, body: '{"type":"error","error":{"type":"timeout_error"}}' })).toBe(false);
    expect(isVendorOwnError({ ...openai, headers: { 'request-id': 'req_7f3a9c0e2b1d4e5f' } })).toBe(false);
    expect(isVendorOwnError({ ...anthropic, ms: QUICK_ERROR_MS + 1 })).toBe(false);
    expect(isVendorOwnError({ ...anthropic, status: 429 })).toBe(false);
  });
});

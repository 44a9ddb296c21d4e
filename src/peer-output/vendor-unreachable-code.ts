/**
 * The code the auth sidecar's error carries when the egress proxy cannot reach a vendor's host
 * (auth-proxy/egress-connector.ts, VendorUnreachable), and by which the loop tells it from the
 * vendor's own 502 (structured-events.ts). Here, with the readers of the CLIs' output, as the
 * vendor limits the sidecar reads (vendor-limit.ts): the sidecar imports from this folder, never
 * the other way.
 */
export const VENDOR_UNREACHABLE = 'peers_vendor_unreachable';

/**
 * The code the auth sidecar's error carries when the egress proxy cannot reach a vendor's host
 * (egress-connector.ts, VendorUnreachable), and by which the loop tells it from the vendor's own
 * 502 (src/peer-output/structured-events.ts). Alone in its module: the loop reads it without
 * loading the sidecar's network code.
 */
export const VENDOR_UNREACHABLE = 'peers_vendor_unreachable';

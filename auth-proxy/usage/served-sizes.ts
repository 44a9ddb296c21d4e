/**
 * What a router has been seen to charge, by how large an output cap it served. OpenRouter passes
 * over the providers whose output limit is too small for a request's `max_tokens`, so a request
 * with a larger cap may go to a provider a smaller one never reached, at its price: a whole reply
 * shows the price of requests whose output cap is no larger than its own request's (SECURITY.md,
 * "Routing preferences make a first request too"). The prompt is not a dimension here: a
 * conversation's prompt grows every turn, and each turn would be a router's first request, alone
 * and reserved at 10x (the known limit there). Pure data, no I/O.
 */
export class ServedSizes {
  /** Per key (usage-ledger.ts, servedKey), the largest output cap of a request a whole reply served. */
  private readonly largest = new Map<string, number>();

  /** A whole reply for `key` served a request with the output cap `output`. */
  note(key: string, output: number): void {
    if (output > (this.largest.get(key) ?? -1)) this.largest.set(key, output);
  }

  /** Whether a whole reply for `key` served a request with an output cap of at least `output`. */
  has(key: string, output: number): boolean {
    return (this.largest.get(key) ?? -1) >= output;
  }
}

/**
 * A router's first request for a model goes out alone. OpenRouter bills what the provider it
 * picks charges and says so only when the reply is done (`usage.cost`), so until one reply for a
 * model has shown its price against the table, requests sent at once would all be reserved at a
 * guess; here the next one waits until the first has settled, and is then reserved by what it
 * cost (SECURITY.md, "A request goes out only if the budget left covers it").
 */
export class FirstRequestGate {
  private current: Promise<void> | null = null;

  /**
   * Waits while another first request is out and this one is still a first (`isFirst`); returns
   * the end of this request's turn (idempotent: call it when its reply is settled or it is not
   * sent), or null when it is not a first request and need not go alone.
   */
  async enter(isFirst: () => boolean): Promise<(() => void) | null> {
    while (this.current && isFirst()) await this.current;
    if (!isFirst()) return null;
    let done = () => {};
    const mine = new Promise<void>((r) => (done = r));
    this.current = mine;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (this.current === mine) this.current = null;
      done();
    };
  }
}

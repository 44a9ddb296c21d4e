/**
 * Money in JSON output: US dollars as a number rounded to 6 decimals (a millionth of a dollar is
 * below any vendor's price step), so `0.11141999999999999` prints as `0.11142`.
 */
export const USD_DECIMALS = 6;

export function usd(amount: number): number {
  const f = 10 ** USD_DECIMALS;
  return Math.round(amount * f) / f;
}
